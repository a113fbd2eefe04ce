import { commentFrom, contentOf, type SourceLine } from './lines.js';
import { addListedDomain } from './listed-domain.js';
import type { EntrySink, LineParser } from './sink.js';

const semicolonComment = commentFrom(';');
/** More lines than any real record (an SOA takes seven) means a "(" was never closed. */
const MAX_RECORD_LINES = 100;

/** One resource record or directive; a record spread over lines in `( ... )` is joined. */
interface ZoneRecord {
  line: number;
  indented: boolean;
  fields: string[];
}

/** Where relative names are anchored; names are kept absolute, lower-case, without the final dot. */
interface Zone {
  /** The RPZ zone's own name: policy names are written under it. */
  apex: string | undefined;
  /** The current `$ORIGIN`. */
  origin: string | undefined;
  /** The last owner named, reused by records on indented lines. */
  owner: string | undefined;
}

type Policy = { ok: true; name: string } | { ok: false; reason: string };

const TTL = /^(\d+[smhdw]?)+$/i;
const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
/** The zone's own records, not policies. */
const ZONE_TYPES = new Set(['SOA', 'NS']);
/** Triggers other than the query name (IP, name server, client): not something a list can hash. */
const NON_QNAME_TRIGGER = /(^|\.)rpz-(ip|nsdname|nsip|client-ip)$/;

/**
 * An RPZ zone file. `name CNAME .` (NXDOMAIN), `CNAME *.` (NODATA), `CNAME rpz-drop.` and a CNAME
 * to a walled garden all block; `CNAME rpz-passthru.` allows.
 */
export function rpzZoneParser(sink: EntrySink): LineParser {
  const zone: Zone = { apex: undefined, origin: undefined, owner: undefined };
  /** A record spread over lines in `( ... )`, until its `)`. */
  let open: { first: SourceLine; text: string; depth: number; lines: number } | undefined;
  return {
    line(number, raw) {
      const line = contentOf(number, raw, semicolonComment);
      if (line === undefined) return;
      const depth = count(line.text, '(') - count(line.text, ')');
      open =
        open === undefined
          ? { first: line, text: line.text, depth, lines: 1 }
          : {
              first: open.first,
              text: `${open.text} ${line.text}`,
              depth: open.depth + depth,
              lines: open.lines + 1,
            };
      if (open.depth > 0 && open.lines < MAX_RECORD_LINES) return;
      if (open.depth > 0) {
        // A stray "(" must not swallow the rest of a large file.
        sink.problem(open.first.number, `unclosed "(" in record (${MAX_RECORD_LINES} lines)`);
        open = undefined;
        return;
      }
      readRecord(sink, zone, {
        line: open.first.number,
        indented: open.first.indented,
        fields: open.text.replace(/[()]/g, ' ').trim().split(/\s+/),
      });
      open = undefined;
    },
    end() {
      if (open !== undefined) sink.problem(open.first.number, 'unclosed "(" in record');
    },
  };
}

function readRecord(sink: EntrySink, zone: Zone, record: ZoneRecord): void {
  const [first = '', ...rest] = record.fields;
  if (first.startsWith('$')) {
    applyDirective(zone, first.toUpperCase(), rest[0], record.line, sink);
    return;
  }
  if (!record.indented) zone.owner = absoluteName(first, zone.origin);
  const [typeField = '', target] = withoutTtlAndClass(record.indented ? record.fields : rest);
  const type = typeField.toUpperCase();
  if (ZONE_TYPES.has(type)) {
    if (type === 'SOA' && zone.apex === undefined) {
      zone.apex = zone.owner;
      zone.origin ??= zone.owner;
    }
  } else if (type !== 'CNAME') {
    sink.problem(
      record.line,
      /^[A-Z0-9]{1,10}$/.test(type)
        ? `record type ${type} not supported: only CNAME policies`
        : 'not a record of a known type: only CNAME policies',
    );
  } else if (zone.owner === undefined) {
    sink.problem(record.line, 'record without an owner name ("@" needs $ORIGIN)');
  } else if (target === undefined) {
    sink.problem(record.line, 'CNAME without a target');
  } else {
    addPolicy(sink, record.line, policyName(zone.owner, zone.apex), target.toLowerCase());
  }
}

function addPolicy(sink: EntrySink, line: number, policy: Policy, target: string): void {
  if (!policy.ok) sink.problem(line, policy.reason);
  else if (target === 'rpz-tcp-only.') sink.problem(line, 'rpz-tcp-only is not a block');
  else addListedDomain(sink, line, policy.name, target === 'rpz-passthru.');
}

function applyDirective(
  zone: Zone,
  directive: string,
  argument: string | undefined,
  line: number,
  sink: EntrySink,
): void {
  if (directive === '$TTL') return;
  if (directive !== '$ORIGIN')
    sink.problem(
      line,
      /^\$[A-Z]{1,10}$/.test(directive) ? `${directive} not supported` : 'unknown directive',
    );
  else if (argument === undefined) sink.problem(line, '$ORIGIN without a name');
  else {
    zone.origin = absoluteName(argument, zone.origin);
    zone.apex ??= zone.origin;
  }
}

/** A name made absolute: `@` is the origin, a final dot ends a name, others are under the origin. */
function absoluteName(name: string, origin: string | undefined): string | undefined {
  const lower = name.toLowerCase();
  if (lower === '@') return origin;
  if (lower.endsWith('.')) return lower.slice(0, -1);
  return origin === undefined || origin === '' ? lower : `${lower}.${origin}`;
}

/** The domain a policy is for: its owner name without the zone's own name. */
function policyName(owner: string, apex: string | undefined): Policy {
  let name = owner;
  if (apex !== undefined && apex !== '') {
    if (owner === apex) return { ok: false, reason: 'a policy on the zone name itself' };
    if (!owner.endsWith(`.${apex}`)) return { ok: false, reason: `name outside the zone ${apex}` };
    name = owner.slice(0, -(apex.length + 1));
  }
  if (NON_QNAME_TRIGGER.test(name)) {
    return {
      ok: false,
      reason: 'only query-name policies are supported (not rpz-ip, rpz-nsdname…)',
    };
  }
  return { ok: true, name };
}

function withoutTtlAndClass(fields: string[]): string[] {
  let start = 0;
  for (const field of fields) {
    if (!TTL.test(field) && !CLASSES.has(field.toUpperCase())) break;
    start++;
  }
  return fields.slice(start);
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}
