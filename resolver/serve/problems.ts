/**
 * What keeps the filter from being ready (a required list with no usable copy) or leaves it
 * degraded (an expired list still in force, an upstream down): kept as values, said in words by
 * one function, so /healthz and the log read in English and the status page in its language.
 */
import type { SourceState } from '../lists/manager.js';
import type { Translate } from './language.js';
import { listRefusalText } from './reasons.js';
import type { UpstreamHealth } from './upstream.js';

export type Problem =
  | { kind: 'list-missing'; source: SourceState; servingUnfiltered: boolean }
  | { kind: 'list-expired'; source: SourceState }
  | { kind: 'upstream-down'; upstream: UpstreamHealth };

export interface Problems {
  notReady: Problem[];
  warnings: Problem[];
}

/** The problems of these lists and upstreams; with `serveWhenMissing` a missing list only warns. */
export function findProblems(
  missing: readonly SourceState[],
  expired: readonly SourceState[],
  upstreams: readonly UpstreamHealth[],
  serveWhenMissing: boolean,
): Problems {
  const unfiltered: Problem[] = missing.map((source) => ({
    kind: 'list-missing',
    source,
    servingUnfiltered: serveWhenMissing,
  }));
  const warnings: Problem[] = [
    ...expired.map((source): Problem => ({ kind: 'list-expired', source })),
    ...upstreams
      .filter((u) => u.down)
      .map((upstream): Problem => ({ kind: 'upstream-down', upstream })),
  ];
  return serveWhenMissing
    ? { notReady: [], warnings: [...unfiltered, ...warnings] }
    : { notReady: unfiltered, warnings };
}

/** One problem in the language of `t`. */
export function problemText(problem: Problem, t: Translate): string {
  switch (problem.kind) {
    case 'list-missing': {
      const s = problem.source;
      const error =
        s.lastError === undefined
          ? t('problem.notLoadedYet')
          : listRefusalText({ code: s.lastErrorCode, message: s.lastError }, t);
      const line = t('problem.listMissing', { list: s.expectedId ?? s.location, error });
      return problem.servingUnfiltered ? `${line}: ${t('problem.servingUnfiltered')}` : line;
    }
    case 'list-expired': {
      const s = problem.source;
      return t('problem.listExpired', {
        list: s.bundle?.meta.id ?? s.location,
        expires: s.bundle?.meta.expires ?? '',
        location: s.location,
      });
    }
    case 'upstream-down': {
      const u = problem.upstream;
      return t('problem.upstreamDown', { upstream: u.label, error: u.lastError ?? '' });
    }
  }
}
