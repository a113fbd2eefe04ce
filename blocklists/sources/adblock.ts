import { SourceCollector } from './collector.js';
import type { ParsedSource } from './entries.js';
import { type CommentStripper, sourceLines } from './lines.js';

/** `||domain^` blocks a domain and its subdomains; `@@||domain^` allows them. */
const DOMAIN_RULE = /^(@@)?\|\|([^/^$|*]+)\^$/;

/** `!` comments, `# ` comments and the `[Adblock Plus 2.0]` header take the whole line. */
const adblockComment: CommentStripper = (line) =>
  /^\s*(!|#(\s|$)|\[.*\]\s*$)/.test(line) ? '' : line;

/** An AdBlock-style filter list, of which only the plain domain rules are supported. */
export function parseAdblock(text: string, file: string): ParsedSource {
  const collector = new SourceCollector(file);
  for (const line of sourceLines(text, adblockComment)) {
    const rule = DOMAIN_RULE.exec(line.text);
    if (rule) collector.addDomain(line.number, rule[2] ?? '', rule[1] !== undefined);
    else collector.problem(line.number, unsupportedReason(line.text));
  }
  return collector.result();
}

function unsupportedReason(rule: string): string {
  if (/#[@?$]?#/.test(rule)) return 'cosmetic filter not supported: only ||domain^ and @@||domain^';
  if (rule.includes('$')) return 'rule options not supported: only ||domain^ and @@||domain^';
  if (/^(@@)?\|\|/.test(rule)) {
    return 'path or partial-name rule not supported: only ||domain^ and @@||domain^';
  }
  return 'not a domain rule: only ||domain^ and @@||domain^ are supported';
}
