import { SourceCollector } from './collector.js';
import type { ParsedSource } from './entries.js';
import { commentFrom, sourceLines } from './lines.js';

/** A plain domain list: one domain (or `*.domain`) per line, `#` comments. */
export function parseDomainList(text: string, file: string): ParsedSource {
  const collector = new SourceCollector(file);
  for (const line of sourceLines(text, commentFrom('#'))) {
    if (/\s/.test(line.text)) collector.problem(line.number, 'expected one domain per line');
    else collector.addDomain(line.number, line.text, false);
  }
  return collector.result();
}
