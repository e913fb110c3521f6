/**
 * What a gate's line carries beyond its arms, so that `model-gate analyze` says and decides what
 * the release did: a split check's `units` (its note counts users, not requests) and a gate's
 * `inconclusiveLimit` (the gate fails at the look past it, the count starting over with each step).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RatioGateConfig, SrmGateConfig } from '../../src/config/types.js';
import { measureRatio, measureSrm, type StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { ObservationLine } from '../../src/stats/observation.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { replayed, workspace } from './analyze-replay-vs-live.js';

const T0 = Date.UTC(2026, 10, 28, 10);
const lines: ObservationLine[] = [];
afterEach(() => void lines.splice(0));

/** A look `seconds` into a step begun at `since`, at 50%, whose observation line goes to `lines`. */
const look = (
  metrics: FakeCounts,
  seconds: number,
  step = 'step 1 of 2',
  since = T0,
): StatisticalContext => ({
  metrics,
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since,
  now: since + seconds * 1000,
  minRequests: 100,
  weight: 50,
  step,
  observe: (line) => void lines.push(line),
});

const serving = () =>
  new FakeCounts({
    stable: { rps: 50, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 50, errorRate: 0.01, medianMs: 40 },
  });

describe('a split check counting users (units)', () => {
  it('is replayed with the note the release gave, of users', async () => {
    const gate: SrmGateConfig = {
      kind: 'srm',
      name: 'split',
      units: 'users',
      maxMismatch: 0.1,
      alpha: 0.05,
      consecutiveErrorLimit: 4,
    };
    const live = await measureSrm(gate, look(serving(), 600));
    expect(live.note).toContain('of 60000 users');
    expect(lines[0]).toMatchObject({ kind: 'srm', units: 'users' });

    const { gates } = await replayed(workspace(), 'users.jsonl', lines);
    expect(gates.split?.looks[0]?.note).toBe(live.note);
  });
});

describe('a gate with inconclusive-limit', () => {
  it('fails in the replay at the look past its limit, the count starting over with each step', async () => {
    const gate: RatioGateConfig = {
      kind: 'ratio',
      name: 'errors',
      judge: 'sequential',
      events: 'errors',
      total: 'requests',
      maxIncrease: 0.1,
      alpha: 0.05,
      failureLimit: 0,
      inconclusiveLimit: 1,
      consecutiveErrorLimit: 4,
    };
    const metrics = serving();
    metrics.nan = true;
    // One inconclusive look in step 1 (tolerated), then two in step 2: the second goes past the limit.
    await measureRatio(gate, look(metrics, 60));
    const step2 = T0 + 120_000;
    await measureRatio(gate, look(metrics, 60, 'step 2 of 2', step2));
    await measureRatio(gate, look(metrics, 120, 'step 2 of 2', step2));
    expect(lines.map((l) => l.inconclusiveLimit)).toEqual([1, 1, 1]);

    const { status, gates } = await replayed(workspace(), 'no-data.jsonl', lines);
    const errors = gates.errors as unknown as { decided?: { verdict: string; line: number } };
    expect(status).toBe(1);
    expect(errors.decided).toMatchObject({ verdict: 'fail', line: 3 });
    expect(gates.errors?.looks[2]?.note).toContain(
      '2 inconclusive looks in this step, over inconclusive-limit 1',
    );
  });
});
