/**
 * Evidence retention (UN report para 94): how many days reports are kept in each workflow state
 * (`--keep STATE=DAYS`; a state not named is kept), applied by `kalkan intake purge`, once a
 * day by `kalkan intake serve`, and by a supervisor's "Purge now". URLs under a legal hold are
 * never purged. Each purge is one audit entry.
 */
import { WORKFLOW_STATES, type WorkflowState } from './states.js';
import type { IntakeStore } from './store.js';

export type Retention = Partial<Record<WorkflowState, number>>;

const DAY_MS = 86_400_000;

/** Parses `STATE=DAYS` rules; the error names the rule and what is wrong. */
export function parseRetention(rules: readonly string[]): Retention {
  const retention: Retention = {};
  for (const rule of rules) {
    const [state = '', days = '', ...rest] = rule.split('=');
    if (!(WORKFLOW_STATES as readonly string[]).includes(state) || rest.length > 0) {
      throw new Error(`--keep ${rule}: the state must be one of ${WORKFLOW_STATES.join(', ')}`);
    }
    const n = Number(days);
    if (!/^\d+$/.test(days) || !Number.isSafeInteger(n)) {
      throw new Error(`--keep ${rule}: DAYS must be a whole number`);
    }
    retention[state as WorkflowState] = n;
  }
  return retention;
}

export function describeRetention(retention: Retention): string {
  const rules = Object.entries(retention).map(([state, days]) => `${state} ${days} day(s)`);
  return rules.length > 0 ? rules.join(', ') : 'none set: nothing is purged';
}

export function purgeSummary(purged: Record<string, number>): string {
  const total = Object.values(purged).reduce((a, b) => a + b, 0);
  const detail = Object.entries(purged)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  return `purged ${total} report(s)${total ? `: ${detail}` : ''}`;
}

/** Purges once now and then once a day while the server runs; returns a stop function. */
export function scheduleRetention(store: IntakeStore, retention: Retention): () => void {
  if (Object.keys(retention).length === 0) return () => undefined;
  const run = () => {
    const purged = store.cases.purge(retention, 'retention', new Date());
    console.log(`intake: retention ${purgeSummary(purged)}`);
  };
  run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
