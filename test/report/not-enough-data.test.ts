import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitHubClient } from '../../src/github/client.js';
import { setReleaseStatus } from '../../src/github/commit-status.js';
import { newRelease } from '../../src/release/new-release.js';
import type { GateState, Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { configWith, released, report } from './release-world.js';

// A reviewer's canary ended at its deadline because a threshold gate's query gave no number, beside
// a sequential gate that saw the same 1% on both arms: the heading said "not enough data to decide",
// the line named the sequential gate (which the deadline passes) and advised a longer step, which
// brings no data a query does not find. The top lines must name the gate that had none.
const config = configWith(
  '{ type: canary, steps: [5, 25, 50], step-duration: 10m, min-requests: 200, interval: 10s }',
  [
    '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }',
    '{ name: nulls, kind: threshold, query: null-rate, max: 0.02 }',
  ],
);
const sameRates = () =>
  new FakeCounts({
    stable: { rps: 50, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 50, errorRate: 0.01, medianMs: 40 },
  });
const NO_NUMBER =
  'nulls (no data for the candidate: the query gave no number for the canary slot (version v2): "null-rate")';

let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  await github.close();
});

async function statusOf(r: Release): Promise<string> {
  const headSha = 'c'.repeat(40);
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  await setReleaseStatus(client, repo, { ...r, headSha, pr: 7 });
  return github.commitStatuses(headSha).at(-1)?.description ?? '';
}

const topLines = (text: string) => text.split('\n').slice(0, 4).join('\n');

describe('a rollback at the deadline for a gate with no data', () => {
  it('names that gate and its query, not a gate the deadline passed, and gives no step-duration advice', async () => {
    const r = await released(config, sameRates());
    expect(r.status).toBe('failed');
    const text = report(config, r);
    expect(text).toContain('## model-gate: ❌ Rolled back\n');
    expect(text).toContain(
      `- fraud v2 was rolled back to v1: no conclusive evidence within 10m at step 1 of 3: ${NO_NUMBER}\n`,
    );
    const top = topLines(text);
    expect(top).not.toContain('not enough data');
    expect(top).not.toContain('errors (');
    expect(top).not.toContain('raise step-duration');
    const status = await statusOf(r);
    expect(status).toMatch(
      /^v2 rolled back to v1: no conclusive evidence within 10m at step 1 of 3: nulls \(no data/,
    );
    expect(status).not.toContain('step-duration');
  });
});

describe('a rollback at the deadline for a gate still waiting for data', () => {
  // Gates as the engine leaves them: errors saw the data without a regression (the deadline passes
  // it), p95 waited for a second scrape all step long.
  const T0 = Date.UTC(2026, 0, 1);
  const three = configWith(
    '{ type: canary, steps: [5, 25, 50], step-duration: 10m, min-requests: 200, interval: 10s }',
    [
      '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }',
      '{ name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 15% }',
      '{ name: nulls, kind: threshold, query: null-rate, max: 0.02 }',
    ],
  );
  const gate = (name: string, kind: GateState['kind'], last: GateState['last']): GateState => ({
    name,
    kind,
    verdict: 'pending',
    failures: 0,
    inconclusives: 0,
    consecutiveErrors: 0,
    last,
  });
  const release = (gates: GateState[]): Release => ({
    ...newRelease(three.models.fraud as NonNullable<typeof three.models.fraud>, {
      from: 'v1',
      to: 'v2',
      now: T0,
    }),
    status: 'failed',
    phase: 0,
    updatedAt: T0 + 600_000,
    reason: 'no conclusive evidence within 10m at step 1 of 3: p95 (waiting for a second scrape)',
    phases: [{ name: 'step 1 of 3', weight: 5, startedAt: T0, endedAt: T0 + 600_000, outcome: 'failed' }],
    gates,
  });
  const judged = gate('errors', 'ratio', {
    at: T0 + 600_000,
    verdict: 'waiting',
    note: '1% on v2 vs 1% on v1; e-value 0.0309 < 20',
    evidence: { method: 'sequential-binomial', eValue: 0.0309 },
  });
  const scrapes = gate('p95', 'latency', {
    at: T0 + 600_000,
    verdict: 'waiting',
    note: 'waiting for a second scrape',
  });

  it('names only the gate that waited, with the advice that helps it', () => {
    const text = report(three, release([judged, scrapes]));
    expect(text).toContain('## model-gate: ❌ Rolled back: not enough data to decide\n');
    expect(text).toContain(
      '- fraud v2 was rolled back to v1: not enough data: p95 (waiting for a second scrape) in 10m at step 1 of 3; raise step-duration, then push a new commit',
    );
    expect(topLines(text)).not.toContain('errors (');
  });

  it('beside a gate with no data: the reason, naming both, with no step-duration advice', () => {
    const nulls = gate('nulls', 'threshold', {
      at: T0 + 600_000,
      verdict: 'inconclusive',
      note: 'no data for the candidate',
    });
    const r = {
      ...release([judged, scrapes, nulls]),
      reason:
        'no conclusive evidence within 10m at step 1 of 3: p95 (waiting for a second scrape), nulls (no data for the candidate)',
    };
    const text = report(three, r);
    expect(text).toContain('## model-gate: ❌ Rolled back\n');
    expect(text).toContain(
      '- fraud v2 was rolled back to v1: no conclusive evidence within 10m at step 1 of 3: p95 (waiting for a second scrape), nulls (no data for the candidate)\n',
    );
    expect(topLines(text)).not.toContain('raise step-duration');
  });
});
