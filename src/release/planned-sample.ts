import { signedPct } from '../stats/conversion.js';
import type { GateState, Measurement } from './types.js';

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

const exposures = (p: Progress) => `${p.reached} of ${p.size} candidate exposures`;

/** A gate an A/B waits for: `conversion (812 of 2963 candidate exposures)`, or its name alone. */
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
