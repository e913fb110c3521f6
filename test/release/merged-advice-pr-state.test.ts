import { expect, it } from 'vitest';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// Advice to analyse a candidate again said "push a new commit, or close and reopen the PR" to a
// merged PR, which neither analyses: a tick that found PR #7 merged (its merge job lost) and v2
// withdrawn by hand, and a later job of the merged PR on a head whose analysis had ended. Now each
// says what works for a merged PR, in the merge note's words (merged-advice-ended-before-merge).

const WHAT_WORKS =
  'the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets fraud.yaml back to v1, then open one that declares v2 again';

it('a tick ending v2, withdrawn by hand, of a PR GitHub says is merged: no push or reopen advised', async () => {
  const config = configOf(['fraud']);
  const w = await twoModelsWorld();
  await w.prJob(config, 7);
  w.platforms.fraud.state = { stable: { version: 'v1' } };
  w.ports.pullRequestState = async () => ({ state: 'merged' });
  w.clock.advance(20_000);
  await w.tick(config);
  const ended = await w.file.release('fraud');
  expect(ended).toMatchObject({ to: 'v2', status: 'aborted' });
  expect(ended?.reason).toMatch(/or it was withdrawn by hand; v2 was not promoted; /);
  expect(ended?.reason?.endsWith(WHAT_WORKS)).toBe(true);
  expect(ended?.reason).not.toContain('push a new commit');
});

it('a job of the merged PR (analyze-then-promote) on a head whose analysis ended aborted: re-run the merge job', async () => {
  const config = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const w = await twoModelsWorld();
  await w.prJob(config, 7);
  await w.prJob(config, 7, 'closed', true);
  expect(await w.file.release('fraud')).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });
  w.platforms.fraud.state = { stable: { version: 'v1' } };
  w.clock.advance(20_000);
  await w.tick(config);
  expect(await w.file.release('fraud')).toMatchObject({ status: 'aborted' });

  const labeled = await w.prJob(config, 7, 'labeled', true);
  const note = labeled.skipped.find((s) => s.model === 'fraud')?.why;
  expect(note).toBe(
    'this head (aaaaaaa) already ended aborted: its candidate was withdrawn before the analysis decided; re-run the merge job of PR #7 to analyse it again',
  );
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
});

it('a job of the merged PR (analyze-then-promote) on a head whose analysis failed after the merge: a new PR, no push', async () => {
  const config = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const w = await twoModelsWorld();
  await w.prJob(config, 7);
  await w.prJob(config, 7, 'closed', true);
  w.ports.metricsFor = () =>
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.5 } },
    });
  w.clock.advance(20_000);
  await w.tick(config);
  expect(await w.file.release('fraud')).toMatchObject({ status: 'failed', mergedAt: expect.any(Number) });

  const labeled = await w.prJob(config, 7, 'labeled', true);
  const note = labeled.skipped.find((s) => s.model === 'fraud')?.why;
  expect(note).toBe(
    `this head (aaaaaaa) already failed its analysis, and a failed analysis is not run again on the same commit; ${WHAT_WORKS}`,
  );
});
