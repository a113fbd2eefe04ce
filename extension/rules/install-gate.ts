/**
 * The install gate: one rule that blocks every http(s) page and frame load, above every other
 * rule. It closes the gap between install (or update) and the moment the worker has loaded the
 * hashed lists, when a navigation would otherwise go unchecked. Fail closed: a page tried in
 * that window shows an error and is reloaded (or sent to the block page) once the worker is
 * ready (extension/background/install-gate.ts).
 */
export const INSTALL_GATE_RULESET = 'install_gate';

export function installGateRules() {
  return [
    {
      id: 1,
      priority: 1_000,
      action: { type: 'block' as const },
      condition: {
        urlFilter: '|http',
        resourceTypes: ['main_frame' as const, 'sub_frame' as const],
      },
    },
  ];
}
