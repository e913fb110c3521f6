import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { releaseSchema, storedForm } from '../../src/ledger/release-schema.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { WORKING_TREE } from '../../src/version/local-comparison.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';
import { passingErrorRate } from '../support/scripted-metrics.js';
import { configWith, report } from './release-world.js';

// A push while a PR's analysis runs supersedes it and starts again at the first step: the comment
// that said `step 2 of 3` says `step 1 of 3` after it. The line under the model says it restarted,
// for which head, and where the superseded analysis stood, from the release's record, so that a
// schedule tick's report says it too; never for a first run or a reopen, nor once promoted.

const BASE = 'a'.repeat(40);
const HEAD_A = 'c'.repeat(40);
const HEAD_B = 'b'.repeat(40);
const config = configWith(
  '{ type: canary, steps: [10, 25, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
  ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
);
const lineOf = (text: string) => text.split('\n').find((l) => l.includes('restarted'));

async function world() {
  const file = join(await mkdtemp(join(tmpdir(), 'model-gate-restart-')), 'ledger.json');
  const ledger = fileLedger(file);
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [BASE]: { 'models/fraud.yaml': 'version: v1\n' },
      [HEAD_A]: { 'models/fraud.yaml': 'version: v2\n' },
      [HEAD_B]: { 'models/fraud.yaml': 'version: v2\n' },
      [WORKING_TREE]: { 'models/fraud.yaml': 'version: v3\n' },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () => passingErrorRate(),
  };
  const opts = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
  const pr = (action: string, headSha: string): PullRequestEvent => ({
    action,
    number: 3,
    baseSha: BASE,
    headSha,
    merged: false,
  });
  /** One-pass runs of the PR's job on `headSha`, ten seconds apart, until its release is in `phase`. */
  const runUntil = async (action: string, headSha: string, phase: number) => {
    await handlePullRequest(config, pr(action, headSha), ports, opts);
    for (let i = 0; i < 20 && (await ledger.release('fraud'))?.phase !== phase; i++) {
      await clock.sleep(10_000);
      await handleSchedule(config, ports, opts);
    }
    const r = await ledger.release('fraud');
    expect(r?.phase).toBe(phase);
    return r as Release;
  };
  return { file, ledger, clock, ports, opts, pr, runUntil };
}

describe('a PR analysis restarted for a new head', () => {
  it('says under the model where the superseded analysis stood, from the record a later tick reports', async () => {
    const w = await world();
    const first = await w.runUntil('opened', HEAD_A, 1);
    expect(lineOf(report(config, first))).toBeUndefined();
    const pushed = await handlePullRequest(config, w.pr('synchronize', HEAD_B), w.ports, w.opts);
    const said =
      'ℹ️ restarted for head bbbbbbb: the analysis of v2 at ccccccc (step 2 of 3, 25%) was superseded and its traffic withdrawn';
    expect(lineOf(renderMarkdown(config, pushed, { now: 0, prComment: true }))).toBe(said);
    // A schedule tick's report is made from the record alone, as is the job summary.
    await w.clock.sleep(10_000);
    const ticked = await handleSchedule(config, w.ports, w.opts);
    expect(ticked.releases[0]?.status).toBe('analysing');
    expect(lineOf(renderMarkdown(config, ticked, { now: 0 }))).toBe(said);
    expect(JSON.parse(await readFile(w.file, 'utf8')).releases.fraud.restartedFrom).toEqual({
      head: HEAD_A,
      version: 'v2',
      phase: { name: 'step 2 of 3', weight: 25 },
    });
  });

  it('stays on ready, and is gone once the merge promotes it', async () => {
    const w = await world();
    await w.runUntil('opened', HEAD_A, 0);
    await w.runUntil('synchronize', HEAD_B, 2);
    let ready = (await w.ledger.release('fraud')) as Release;
    for (let i = 0; i < 20 && ready.status === 'analysing'; i++) {
      await w.clock.sleep(10_000);
      ready = (await handleSchedule(config, w.ports, w.opts)).releases[0] as Release;
    }
    expect(ready.status).toBe('ready');
    expect(lineOf(report(config, ready))).toBe(
      'ℹ️ restarted for head bbbbbbb: the analysis of v2 at ccccccc (step 1 of 3, 10%) was superseded and its traffic withdrawn',
    );
    const merged = await handlePullRequest(
      config,
      { ...w.pr('closed', HEAD_B), merged: true },
      w.ports,
      w.opts,
    );
    expect(merged.releases[0]?.status).toBe('promoted');
    expect(lineOf(renderMarkdown(config, merged, { now: 0, prComment: true }))).toBeUndefined();
  });

  it('says nothing of a reopen at the same head, which analyses it again', async () => {
    const w = await world();
    await w.runUntil('opened', HEAD_A, 1);
    await handlePullRequest(config, w.pr('closed', HEAD_A), w.ports, w.opts);
    const reopened = await handlePullRequest(config, w.pr('reopened', HEAD_A), w.ports, w.opts);
    expect(reopened.releases[0]?.status).toBe('analysing');
    expect(reopened.releases[0]?.restartedFrom).toBeUndefined();
    expect(lineOf(renderMarkdown(config, reopened, { now: 0, prComment: true }))).toBeUndefined();
  });

  it('names the working tree of a CLI run as such, and keeps no head for it', async () => {
    const w = await world();
    await w.runUntil('opened', HEAD_A, 0);
    await handlePullRequest(config, w.pr('synchronize', WORKING_TREE), w.ports, w.opts);
    const cli = (await w.ledger.release('fraud')) as Release;
    expect(lineOf(report(config, cli))).toBe(
      'ℹ️ restarted for the working tree: the analysis of v2 at ccccccc (step 1 of 3, 10%) was superseded and its traffic withdrawn',
    );
    await handlePullRequest(config, w.pr('synchronize', HEAD_B), w.ports, w.opts);
    const back = (await w.ledger.release('fraud')) as Release;
    expect(back.restartedFrom).toEqual({ version: 'v3', phase: { name: 'step 1 of 3', weight: 10 } });
  });
});

describe('the restart line', () => {
  const model = canaryModel();
  const cfg = { version: 1 as const, allowForks: false, models: { fraud: model } };
  const restarted = (restartedFrom: Release['restartedFrom'], status: Release['status'] = 'analysing') => ({
    ...newRelease(model, { from: 'v1', to: 'v3', pr: 3, headSha: HEAD_B, now: 0 }),
    status,
    restartedFrom,
  });
  const line = (r: Release) => lineOf(renderMarkdown(cfg, { releases: [r], skipped: [] }, { now: 0 }));

  it('says a ready candidate was withdrawn, and one not yet deployed only superseded', () => {
    expect(line(restarted({ head: HEAD_A, version: 'v2', ready: true }))).toBe(
      'ℹ️ restarted for head bbbbbbb: the analysis of v2 at ccccccc (passed, ready to merge) was superseded and its candidate withdrawn',
    );
    expect(line(restarted({ head: HEAD_A, version: 'v2' }))).toBe(
      'ℹ️ restarted for head bbbbbbb: the analysis of v2 at ccccccc (not yet deployed) was superseded',
    );
  });

  it('claims no withdrawal the platform did not confirm, and names a phase by its share once', () => {
    const phase = { name: 'canary 10%', weight: 10 };
    expect(line(restarted({ head: HEAD_A, version: 'v2', phase, withdrawPending: true }))).toBe(
      'ℹ️ restarted for head bbbbbbb: the analysis of v2 at ccccccc (canary 10%) was superseded, its withdrawal not confirmed',
    );
  });

  it('stays while the restarted analysis decides, failed too, and goes once it is promoted or withdrawn', () => {
    const from = { head: HEAD_A, version: 'v2', phase: { name: 'step 2 of 3', weight: 25 } };
    for (const status of ['analysing', 'ready', 'failed'] as const)
      expect(line(restarted(from, status)), status).toContain('restarted for head bbbbbbb');
    for (const status of ['promoted', 'aborted', 'superseded'] as const)
      expect(line(restarted(from, status)), status).toBeUndefined();
  });

  it('is said in the terminal report too (the CLI, the step log)', () => {
    const r = restarted({ head: HEAD_A, version: 'v2', phase: { name: 'step 2 of 3', weight: 25 } });
    expect(lineOf(renderTerminal(cfg, { releases: [r], skipped: [] }, 0))).toBe(
      '  restarted for head bbbbbbb: the analysis of v2 at ccccccc (step 2 of 3, 25%) was superseded and its traffic withdrawn',
    );
  });

  it('reads back from a ledger, and a release stored before it still loads', () => {
    const r = restarted({ head: HEAD_A, version: 'v2', phase: { name: 'step 2 of 3', weight: 25 } });
    expect(storedForm(r)).toMatchObject({ ok: true, value: { restartedFrom: r.restartedFrom } });
    const { restartedFrom: _, ...older } = r;
    expect(releaseSchema.safeParse(JSON.parse(JSON.stringify(older))).success).toBe(true);
    const hostile = { ...r, restartedFrom: { head: HEAD_A, version: '$(id)' } };
    expect(storedForm(hostile).ok).toBe(false);
  });
});
