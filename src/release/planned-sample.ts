import { formatDuration } from '../config/duration.js';
import type { GateConfig } from '../config/types.js';
import { signedPct, thousands } from '../stats/conversion.js';
import type { GateState, Measurement, Release } from './types.js';

// An A/B runs until its conversion gates reach their planned sample, where the judge's test has
// the design's power (`sampleSize`, stored with each look), not for a fixed time.

interface Progress {
  /** Candidate exposures counted in the phase so far. */
  reached: number;
  /** The planned sample size, in candidate exposures. */
  size: number;
}

/** How far a conversion look's candidate arm is toward its planned sample, when the look planned one. */
export function sampleProgress(look: Measurement | undefined): Progress | undefined {
  const size = look?.evidence?.sampleSize;
  const reached = look?.canaryRequests;
  return size === undefined || reached === undefined ? undefined : { reached, size };
}

export function reachedPlannedSize(look: Measurement | undefined): boolean {
  const p = sampleProgress(look);
  return p !== undefined && p.reached >= p.size;
}

const exposures = (p: Progress) => `${thousands(p.reached)} of ${thousands(p.size)} candidate exposures`;

/** A gate an A/B waits for: `conversion (812 of 2,963 candidate exposures)`, or its name alone. */
export function waitingText(g: GateState, look: Measurement | undefined): string {
  const p = g.kind === 'conversion' ? sampleProgress(look) : undefined;
  return p ? `${g.name} (${exposures(p)})` : g.name;
}

/**
 * Why an A/B whose undecided conversion gates all reached their planned sample fails: none found
 * a significant winner (or non-inferiority) by the sample planned to find one.
 */
export function noWinnerReason(
  phase: string,
  gates: GateState[],
  looks: Map<GateState, Measurement | undefined>,
) {
  const each = gates.map((g) => {
    const look = looks.get(g);
    const p = sampleProgress(look);
    const lift = look?.evidence?.effect;
    return `${g.name} (${p ? exposures(p) : 'no planned size'}${lift === undefined ? '' : `, lift ${signedPct(lift)}`})`;
  });
  return `no significant winner at the planned sample size at ${phase}: ${each.join(', ')}`;
}

/**
 * How long an A/B waits for a conversion gate's first counts before it ends as at a deadline. An
 * hour covers a metrics pipeline's lag and a quiet hour's first exposures; without it a wrong query
 * or a NaN (no counts, so no planned size) would keep half the users on an unjudged candidate until
 * the step-duration cap, 14d by default.
 */
export const NO_DATA_GRACE_MS = 60 * 60_000;

const finite = (x: number | undefined) => x !== undefined && Number.isFinite(x);
const counted = (m: Measurement | undefined) => m !== undefined && finite(m.canary) && finite(m.baseline);

/**
 * A conversion gate none of whose looks in the phase had counts on both arms (finite rates; an
 * arm with counts but too few conversions to judge has them). The state keeps only the last look,
 * the one before a query error, and the series of the looks' values (which holds only looks with a
 * value, thinned): those are the looks asked. A last look held back by `min-requests` never asked
 * the queries: too little traffic is not missing data.
 */
export function noConversionData(g: GateState, release: Release): boolean {
  const inPhase = (m: Measurement | undefined) => m !== undefined && m.at > release.phaseStartedAt;
  if ([g.last, g.lastUsable].some((m) => inPhase(m) && counted(m))) return false;
  const since = (release.phaseStartedAt - release.startedAt) / 1000;
  if (g.series?.some(([t, canary, baseline]) => t > since && canary !== null && baseline !== null))
    return false;
  return g.last?.verdict !== 'waiting' || !inPhase(g.last);
}

/** Why an A/B whose conversion gates got no counts in its first hour fails, naming their queries. */
export function noDataReason(phase: string, gates: GateState[], configs: GateConfig[]): string {
  const within = formatDuration(NO_DATA_GRACE_MS);
  const each = gates.map((g) => {
    const c = configs.find((x) => x.name === g.name);
    const queries =
      c?.kind === 'conversion'
        ? `its conversions query "${c.conversions}" and exposures query "${c.exposures}"`
        : 'its conversions and exposures queries';
    const last = (g.last?.verdict === 'error' ? g.lastUsable : g.last) ?? g.last;
    return `${g.name} (${queries} returned no data for both arms within ${within}${last?.note ? `: ${last.note}` : ''}; check them)`;
  });
  return `no conclusive evidence within ${within} at ${phase}: ${each.join(', ')}`;
}
