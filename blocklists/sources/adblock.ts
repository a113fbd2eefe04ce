import { exactNamesSink } from './exact-names.js';
import { readHostsLine } from './hosts.js';
import { type CommentStripper, contentOf } from './lines.js';
import { addListedDomain, listedDomain } from './listed-domain.js';
import type { EntrySink, LineParser } from './sink.js';

/**
 * `||domain^` blocks a domain and its subdomains, `@@||domain^` allows them; `|name^` (one bar)
 * is the exact name only, as AdGuard Home reads it. A final `|` (end of the address) changes
 * nothing for a name, and options follow a `$`.
 */
const DOMAIN_RULE = /^(@@)?(\|\|?)([^/^$|*:]+)\^\|?(?:\$(.*))?$/;
/** A hosts-file line, which AdGuard Home reads in filter lists too. */
const HOSTS_LINE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)\s+\S/i;
/** Option names quoted in reasons; anything else is "unknown" (it could be a name from the list). */
const OPTION_NAME = /^~?[a-z][a-z-]{0,20}$/;

/** `!` comments, `# ` comments and the `[Adblock Plus 2.0]` header take the whole line. */
const adblockComment: CommentStripper = (line) =>
  /^\s*(!|#(\s|$)|\[.*\]\s*$)/.test(line) ? '' : line;

/**
 * An AdBlock-style filter list read the way AdGuard Home and hostlist-compiler read its DNS rules:
 * domain rules with `$important` and `$badfilter`; rules with other options (`$client`, `$ctag`,
 * `$dnstype`, `$denyallow`, browser options…) are skipped and reported.
 */
export function adblockParser(sink: EntrySink): LineParser {
  return {
    line(number, raw) {
      const line = contentOf(number, raw, adblockComment);
      if (line === undefined) return;
      const rule = DOMAIN_RULE.exec(line.text);
      if (rule) {
        const ruleSink = rule[2] === '|' ? exactNamesSink(sink) : sink;
        readDomainRule(ruleSink, number, rule[3] ?? '', rule[1] !== undefined, rule[4]);
      } else if (HOSTS_LINE.test(line.text)) readHostsLine(sink, number, line.text);
      else sink.problem(number, unsupportedReason(line.text));
    },
    end() {},
  };
}

function readDomainRule(
  sink: EntrySink,
  line: number,
  name: string,
  allow: boolean,
  options: string | undefined,
): void {
  let important = false;
  let badfilter = false;
  for (const option of options === undefined ? [] : options.split(',')) {
    const optionName = (option.split('=')[0] ?? '').trim().toLowerCase();
    if (optionName === 'important') important = true;
    else if (optionName === 'badfilter') badfilter = true;
    else {
      const shown = OPTION_NAME.test(optionName) ? `$${optionName}` : 'an unknown';
      sink.problem(line, `${shown} option not supported: the rule is skipped`);
      return;
    }
  }
  if (badfilter) {
    // `$badfilter` cancels the same rule without it, wherever it is in the list.
    const listed = listedDomain(name);
    if (listed.ok) sink.withdraw(line, { kind: 'domain', host: listed.host, allow });
    else sink.problem(line, listed.reason);
    return;
  }
  if (important && !allow) {
    sink.note(line, '$important read as a plain block: an allow entry for the name still wins');
  }
  addListedDomain(sink, line, name, allow);
}

function unsupportedReason(rule: string): string {
  if (/#[@?$%]?#/.test(rule)) return 'cosmetic filter not supported: only domain rules';
  if (/^(@@)?\|\|/.test(rule)) {
    return 'path or partial-name rule not supported: only ||domain^ and @@||domain^';
  }
  if (/^(@@)?\/.*\/(\$.*)?$/.test(rule)) return 'regular-expression rule not supported';
  return 'not a domain rule: only ||domain^, |name^ and their @@ exceptions are supported';
}
