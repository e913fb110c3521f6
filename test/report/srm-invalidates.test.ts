import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { outputDecision, releaseSentence } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';

// PR #7 moves fraud v1 → v2 on an A/B configured to give v2 10% of the users; the platform gives it
// a third (20 vs 10 rps). The split check finds the mismatch: SPEC section 4 says that invalidates
// the analysis, reported as such, not judged a regression. The candidate is withdrawn all the same.
const yaml = `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: ab, split: 10, interval: 1m, step-duration: 1h }
    gates:
      - { name: split, kind: srm, units: users }
      - { name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }
`;

async function mismatchedAb() {
  const { config } = parseConfig(yaml, {});
  const target = new MemoryTarget();
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const metrics = new FakeCounts({
    stable: { rps: 20, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 10, errorRate: 0.3, medianMs: 40 },
  });
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'srm-invalidates-')), 'ledger.json'));
  const quiet = { info: () => {}, warn: () => {} };
  const ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': 'version: v1\n' },
      [sha(2)]: { 'model.yaml': 'version: v2\n' },
    }),
    clock,
    log: quiet,
    targetFor: () => target,
    metricsFor: () => metrics,
  };
  const run = (action: string) =>
    handlePullRequest(config, { action, number: 7, baseSha: sha(1), headSha: sha(2), merged: false }, ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: false,
    });
  const title = (result: Awaited<ReturnType<typeof run>>) =>
    renderMarkdown(config, result, { now: clock.now() }).split('\n')[0];
  return { run, target, title };
}

const TITLE =
  '## model-gate: 🔌 Analysis invalid: sample ratio mismatch (candidate 33.3% of users, configured 10%)';

describe('an A/B whose served split is not the configured one', () => {
  it('withdraws the candidate but reports the analysis as invalid, not the model as failed', async () => {
    const { run, target, title } = await mismatchedAb();
    const result = await run('opened');
    const [release] = result.releases;
    expect(release?.status).toBe('failed');
    // Safe as before: v2 no longer gets any traffic.
    expect(target.state).toEqual({ stable: { version: 'v1' } });

    expect(outputDecision(result)).toBe('error');
    expect(title(result)).toBe(TITLE);
    const sentence = release ? releaseSentence(release) : '';
    expect(sentence).toMatch(
      /^fraud v2 was rolled back to v1 without a verdict on it: the split the platform served differs from the configured one, so the arms' metrics cannot be compared \(split: sample ratio mismatch: candidate share 33\.3% of [\d,]+ users, configured 10%/,
    );
    expect(sentence).toContain('check the traffic split the platform serves and how it routes');
    expect(sentence).toContain('what the srm gate counts for each arm');
    expect(sentence).toContain('push a new commit (an empty one will do) to analyse again');
    expect(sentence).not.toContain('reopen the PR to');
  });

  it('says the same when a later run reads the ended release back from the ledger', async () => {
    const { run, title } = await mismatchedAb();
    await run('opened');
    const again = await run('synchronize');
    expect(again.releases[0]?.status).toBe('failed');
    expect(outputDecision(again)).toBe('error');
    // The stored record keeps what the split check saw and what it counted.
    expect(title(again)).toBe(
      '## model-gate: 🔌 Analysis invalid: sample ratio mismatch (candidate 33.3% of users, configured 10%)',
    );
  });
});
