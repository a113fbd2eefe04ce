import { canonicalHostname } from '../canonical/hostname.js';
import { domainExpression, isIpAddress, urlEntryExpression } from '../canonical/url.js';
import { contentOf } from './lines.js';
import type { EntrySink, LineParser } from './sink.js';

type CsvRow = { ok: true; fields: string[] } | { ok: false; reason: string };

/**
 * A CSV list of URLs: a header row naming a `url` column, then one URL per row. A URL for a
 * whole site becomes a domain entry; any other is a URL entry, matched by the extension only.
 */
export function csvUrlParser(sink: EntrySink): LineParser {
  /** undefined before the header row; -1 when the header has no url column (rows are skipped). */
  let urlColumn: number | undefined;
  return {
    line(number, raw) {
      const row = contentOf(number, raw);
      if (row === undefined) return;
      if (urlColumn === undefined) {
        const header = parseCsvRow(row.text);
        urlColumn = header.ok
          ? header.fields.findIndex((name) => name.trim().toLowerCase() === 'url')
          : -1;
        if (urlColumn < 0) sink.problem(number, 'the header row has no "url" column');
        return;
      }
      if (urlColumn < 0) return;
      const parsed = parseCsvRow(row.text);
      const url = parsed.ok ? parsed.fields[urlColumn]?.trim() : undefined;
      if (!parsed.ok) sink.problem(number, parsed.reason);
      else if (!url) sink.problem(number, 'no url in this row');
      else addUrl(sink, number, url);
    },
    end() {},
  };
}

function addUrl(sink: EntrySink, line: number, url: string): void {
  const entry = urlEntryExpression(url);
  if (!entry.ok) {
    sink.problem(line, entry.reason);
    return;
  }
  const hostname = canonicalHostname(entry.host);
  if (hostname.ok && entry.expression === domainExpression(hostname.host)) {
    sink.add(line, { kind: 'domain', host: hostname.host, allow: false });
  } else if (hostname.ok || isIpAddress(entry.host)) {
    // An IP address is no domain entry, but a URL on it is still a page the extension can block.
    sink.add(line, { kind: 'url', expression: entry.expression, allow: false });
  } else {
    sink.problem(line, hostname.reason);
  }
}

/** One CSV row (RFC 4180): comma-separated, fields optionally in double quotes with `""` escapes. */
function parseCsvRow(line: string): CsvRow {
  const fields: string[] = [];
  let position = 0;
  for (;;) {
    let field = '';
    if (line[position] === '"') {
      position++;
      for (;;) {
        const quote = line.indexOf('"', position);
        if (quote < 0) return { ok: false, reason: 'unclosed quote' };
        field += line.slice(position, quote);
        position = quote + 1;
        if (line[position] !== '"') break;
        field += '"';
        position++;
      }
      if (position < line.length && line[position] !== ',') {
        return { ok: false, reason: 'text after a closing quote' };
      }
    } else {
      const comma = line.indexOf(',', position);
      const end = comma < 0 ? line.length : comma;
      field = line.slice(position, end);
      position = end;
    }
    fields.push(field);
    if (position >= line.length) return { ok: true, fields };
    position++; // the comma
  }
}
