/** The states a report and its URL go through, shared by the store, the pages and the CLI. */

export const TRIAGE_STATES = ['new', 'confirmed', 'rejected', 'duplicate'] as const;
export type TriageState = (typeof TRIAGE_STATES)[number];

/** A confirmed URL's way to removal (items 2-3 of the hotline workflow). */
export const CASE_STATES = ['new', 'assessed', 'notice_sent', 'referred', 'removed'] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** What statistics and retention count a report as: its triage state, or its URL's case state once confirmed. */
export const WORKFLOW_STATES = [
  'new',
  'rejected',
  'duplicate',
  'assessed',
  'notice_sent',
  'referred',
  'removed',
] as const;
export type WorkflowState = (typeof WORKFLOW_STATES)[number];

export function workflowState(status: TriageState, caseState: CaseState): WorkflowState {
  if (status !== 'confirmed') return status;
  return caseState === 'new' ? 'assessed' : caseState;
}
