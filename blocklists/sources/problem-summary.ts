/** Problems and notes of a build counted by reason, with the first few places of each. */
import type { SourceProblem } from './entries.js';

const EXAMPLES = 3;

interface ReasonCount {
  count: number;
  examples: string[];
}

export class ProblemSummary {
  private readonly reasons = new Map<string, ReasonCount>();
  private total = 0;

  add(problem: SourceProblem): void {
    this.total++;
    let entry = this.reasons.get(problem.reason);
    if (entry === undefined) {
      entry = { count: 0, examples: [] };
      this.reasons.set(problem.reason, entry);
    }
    entry.count++;
    if (entry.examples.length < EXAMPLES) entry.examples.push(`${problem.file}:${problem.line}`);
  }

  get count(): number {
    return this.total;
  }

  /** One line per reason, most frequent first: `  12  reason (first: a.txt:3, a.txt:9, …)`. */
  lines(): string[] {
    const width = String(this.total).length;
    return [...this.reasons]
      .sort(([, a], [, b]) => b.count - a.count)
      .map(([reason, { count, examples }]) => {
        const more = count > examples.length ? ', …' : '';
        return `  ${String(count).padStart(width)}  ${reason} (${examples.join(', ')}${more})`;
      });
  }
}
