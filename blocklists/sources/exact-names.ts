import type { ListEntry } from './entries.js';
import type { EntrySink } from './sink.js';

/**
 * A sink that turns domain entries into exact-name entries: for a hosts file whose author meant
 * each line's names exactly (`kalkan lists build --exact-hosts FILE`), not their subdomains.
 */
export function exactNamesSink(sink: EntrySink): EntrySink {
  const exact = (entry: ListEntry): ListEntry =>
    entry.kind === 'domain' ? { kind: 'exact', host: entry.host, allow: entry.allow } : entry;
  return {
    add: (line, entry) => sink.add(line, exact(entry)),
    withdraw: (line, entry) => sink.withdraw(line, exact(entry)),
    problem: (line, reason) => sink.problem(line, reason),
    note: (line, reason) => sink.note(line, reason),
  };
}
