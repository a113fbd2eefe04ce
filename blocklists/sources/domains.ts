import { commentFrom, contentOf } from './lines.js';
import { addListedDomain } from './listed-domain.js';
import type { EntrySink, LineParser } from './sink.js';

const hashComment = commentFrom('#');

/** A plain domain list: one domain (or `*.domain`) per line, `#` comments. */
export function domainListParser(sink: EntrySink): LineParser {
  return {
    line(number, raw) {
      const line = contentOf(number, raw, hashComment);
      if (line === undefined) return;
      if (/\s/.test(line.text)) sink.problem(number, 'expected one domain per line');
      else addListedDomain(sink, number, line.text, false);
    },
    end() {},
  };
}
