import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';

// An A/B as a PR lives it (opened, then merged) on a fake clock. FakeCounts' `converted-users` (its `errors`) stand for
// conversions and its error rate for the conversion rate; stable serves 20 requests a second.
const gates = [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
];
const config = configWith(
  '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
  gates,
);
const sha = (c: string) => c.repeat(40);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-ab-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let pr = 0;
/** PR #n moves fraud v1 → v2; the candidate serves `rps` requests a second converting at `rate`. */
function pullRequest(candidate: { rps: number; rate: number }) {
  pr += 1;
  const target = new MemoryTarget();
  const ledger = fileLedger(join(dir, `ledger-${pr}.json`));
  const metrics = new FakeCounts({
    stable: { rps: 20, errorRate: 0.3, medianMs: 40 },
    canary: { rps: candidate.rps, errorRate: candidate.rate, medianMs: 40 },
  });
  const ports = {
    ledger,
    reader: memoryFileReader({
      [sha('a')]: { 'models/fraud.yaml': 'version: v1' },
      [sha('b')]: { 'models/fraud.yaml': 'version: v2' },
    }),
    clock: new FakeClock(),
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () => metrics,
  };
  const event = { action: 'opened', number: pr, baseSha: sha('a'), headSha: sha('b'), merged: false };
  const run = (action: 'opened' | 'closed', mode: 'watch' | 'tick' = 'watch'): Promise<RunResult> =>
    handlePullRequest(config, { ...event, action, merged: action === 'closed' }, ports, {
      mode,
      maxWaitMs: 3_600_000,
      dryRun: false,
    });
  return { target, ledger, run };
}
const only = (r: RunResult) => r.releases[0];

describe('an A/B release', () => {
  it('splits users by the sticky key at the configured share, and promotes a significant winner at merge', async () => {
    const { target, run } = pullRequest({ rps: 20, rate: 0.33 });
    expect(only(await run('opened'))?.status).toBe('ready');
    expect(target.writes[0]).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 50 },
      sticky: { header: 'x-user-id' },
    });
    expect(only(await run('closed'))?.status).toBe('promoted');
    expect(target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('rolls a significant loser back on conversion alone, and the merge does not promote it', async () => {
    const { target, ledger, run } = pullRequest({ rps: 20, rate: 0.27 });
    const analysed = only(await run('opened'));
    expect(analysed?.status).toBe('failed');
    expect(analysed?.reason).toMatch(
      /^conversion: v2 converts worse than v1, a significant drop \(a regression\): 27\.00% vs 30\.00% \(lift -10\.0%; /,
    );
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(only(await run('closed'))?.status).toBe('failed');
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect((await ledger.history('fraud')).filter((e) => e.kind === 'promotion')).toEqual([]);
  });

  it('is not promoted when the PR merges while it is still analysing (on-merge: require-pass)', async () => {
    const { target, run } = pullRequest({ rps: 20, rate: 0.33 });
    expect(only(await run('opened', 'tick'))?.status).toBe('analysing');
    const merged = only(await run('closed'));
    expect(merged?.status).toBe('aborted');
    expect(merged?.reason).toBe(
      'merged before the analysis passed; v2 was not promoted (on-merge: require-pass)',
    );
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('reports a split other than the configured one as an invalid analysis, not as a regression', async () => {
    // 40% of requests on the candidate where 50% were configured; its conversions are as good.
    const { target, run } = pullRequest({ rps: 13, rate: 0.3 });
    const analysed = only(await run('opened'));
    expect(analysed?.status).toBe('failed');
    expect(analysed?.reason).toMatch(
      /^split: sample ratio mismatch: candidate share 39\.\d% of \d+ users, configured 50%.*; the analysis is invalid$/,
    );
    expect(analysed?.gates.find((g) => g.name === 'conversion')?.verdict).not.toBe('fail');
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });
});
