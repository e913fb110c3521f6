import { describe, expect, it } from 'vitest';
import { noConversionData } from '../../src/release/planned-sample.js';
import type { GateState, Release } from '../../src/release/types.js';

// A gate's series keeps whole seconds since the release started; the phase starts in ms. A look
// 0.6 s before the A/B's phase began rounds up past its start, and counted as the A/B's own counts:
// the A/B that never got a conversion count went on to its step-duration cap (14d by default)
// instead of ending at its first hour for want of data.

const STARTED = Date.UTC(2026, 0, 1);
/** The look before the phase at 10.6 s (stored as second 11), the phase from 10.603 s. */
const PHASE_STARTED = STARTED + 10_603;

const release = (gate: GateState): Release => ({
  model: 'fraud',
  from: 'v1',
  to: 'v2',
  status: 'analysing',
  phase: 0,
  phaseStartedAt: PHASE_STARTED,
  startedAt: STARTED,
  updatedAt: PHASE_STARTED + 3_600_000,
  gates: [gate],
  phases: [{ name: 'A/B 50/50 by x-user-id', weight: 50, startedAt: PHASE_STARTED }],
});

const conversion = (series: GateState['series']): GateState => ({
  name: 'conversion',
  kind: 'conversion',
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
  series,
});

describe('whether an A/B conversion gate had counts in its phase', () => {
  it('does not count a look from just before the phase began, its second rounded up', () => {
    const g = conversion([[11, 0.3, 0.3]]);
    expect(noConversionData(g, release(g))).toBe(true);
  });

  it('counts a look in the phase, an interval after it began', () => {
    const g = conversion([
      [11, 0.3, 0.3],
      [41, 0.31, 0.3],
    ]);
    expect(noConversionData(g, release(g))).toBe(false);
  });
});
