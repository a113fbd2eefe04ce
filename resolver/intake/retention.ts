/**
 * Evidence retention (UN report para 94): how many days reports are kept in each workflow state,
 * applied by `kalkan intake purge`, once a day by `kalkan intake serve`, and by a supervisor's
 * "Purge now". A supervisor's rule saved in the triage (stored in the database) wins for its
 * state; `--keep STATE=DAYS` gives the value for states with no saved rule; a state with neither
 * is kept. URLs under a legal hold are never purged. Each purge and each change is audited.
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

/** Rules saved by a supervisor (null: kept) over the `--keep` flags. */
export function effectiveRetention(
  flags: Retention,
  saved: Partial<Record<WorkflowState, number | null>>,
): Retention {
  const retention: Retention = { ...flags };
  for (const [state, days] of Object.entries(saved) as [WorkflowState, number | null][]) {
    if (days === null) delete retention[state];
    else retention[state] = days;
  }
  return retention;
}

/** The supervisor's form (`days.STATE`, empty for kept) as rules for every state. */
export function retentionFromForm(
  form: Record<string, string | undefined>,
): Record<WorkflowState, number | null> {
  const rules = {} as Record<WorkflowState, number | null>;
  for (const state of WORKFLOW_STATES) {
    const text = (form[`days.${state}`] ?? '').trim();
    if (text === '') {
      rules[state] = null;
      continue;
    }
    const days = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(days)) {
      throw new Error(
        `Days for ${state}: "${text}" is not a whole number (leave it empty to keep)`,
      );
    }
    rules[state] = days;
  }
  return rules;
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

/** The rules in force now: the saved ones over the flags. */
export function currentRetention(store: IntakeStore, flags: Retention): Retention {
  return effectiveRetention(flags, store.cases.retentionRules.get());
}

/**
 * Purges once now and then once a day while the server runs, by the rules in force at each run
 * (nothing while there are none); returns a stop function.
 */
export function scheduleRetention(store: IntakeStore, flags: Retention): () => void {
  const run = () => {
    const retention = currentRetention(store, flags);
    if (Object.keys(retention).length === 0) return;
    const purged = store.cases.purge(retention, 'retention', new Date());
    console.log(`intake: retention ${purgeSummary(purged)}`);
  };
  run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
