import { expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { takeOutOfService } from '../../src/release/out-of-service.js';
import { contextFor } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { sha } from '../support/model-config.js';
import { configOf, FILES, prEvent, STEP_1, twoModelsWorld } from './two-models-world.js';

// PR #7's job was cancelled while v2 was analysing: its post step withdrew v2 (action/post.ts),
// ending the release aborted, then the PR merged. Under on-merge: analyze-then-promote the merge
// job gave the advice of a stop on purpose ("merge a PR that sets fraud.yaml back to v1, then open
// one that declares v2 again"), and no run ever analysed v2. Nobody chose to stop it: the merge now
// analyses v2 on the merged head, as it does an analysis cut short after the merge, and promotes it
// once it passes. require-pass keeps its answer; an abort or a withdrawal by hand keeps the advice
// (merged-advice-ended-before-merge.test.ts).

const POST_STEP_WHY =
  'the job stopped mid-analysis with v2 on 10% of live traffic; v2 withdrawn by the post step';
const WHAT_WORKS =
  'the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets fraud.yaml back to v1, then open one that declares v2 again';

/** PR #7's v2 analysing at 10%, then withdrawn by the post step of its cancelled job. */
async function stoppedByPostStep(onMerge: string) {
  const config = configOf(['fraud'], `\n    on-merge: ${onMerge}`);
  const w = await twoModelsWorld();
  await w.prJob(config, 7);
  expect(w.platforms.fraud.state).toEqual(STEP_1);
  const release = await w.file.release('fraud');
  if (!release) throw new Error('no release recorded');
  // As post.ts cleanUp withdraws it.
  const model = config.models.fraud as ModelConfig;
  await takeOutOfService(release, POST_STEP_WHY, contextFor(model, w.ports), w.ports);
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'aborted', reason: POST_STEP_WHY });
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  return { config, w };
}

/** Schedule ticks 20 s apart until fraud's release is decided (at most 30). */
async function ticksUntilDecided(
  w: Awaited<ReturnType<typeof twoModelsWorld>>,
  config: ReturnType<typeof configOf>,
) {
  for (let i = 0; i < 30 && (await w.file.release('fraud'))?.status === 'analysing'; i++) {
    w.clock.advance(20_000);
    await w.tick(config);
  }
}

it('analyze-then-promote: the merge analyses v2 on the merged head, and it is promoted once it passes', async () => {
  const { config, w } = await stoppedByPostStep('analyze-then-promote');

  const merged = await w.prJob(config, 7, 'closed', true);
  expect(merged.releases).toEqual([
    expect.objectContaining({ to: 'v2', headSha: sha(7), status: 'analysing', mergedAt: expect.any(Number) }),
  ]);
  expect(merged.skipped.map((s) => s.why).join('\n')).not.toMatch(/not promoted|merge a PR that sets/);
  expect(w.platforms.fraud.state).toEqual(STEP_1);

  await ticksUntilDecided(w, config);
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'promoted' });
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v2' } });
  expect(await w.file.history('fraud')).toEqual([
    expect.objectContaining({ kind: 'promotion', previous: 'v1', version: 'v2', pr: 7 }),
  ]);
});

it('analyze-then-promote: merged at a later head no run analysed (a README fix), v2 is analysed on that head', async () => {
  const { config, w } = await stoppedByPostStep('analyze-then-promote');
  FILES[sha(17)] = { ...FILES[sha(7)], 'README.md': 'fixed\n' };

  const event = { ...prEvent(7, 'closed', true), headSha: sha(17) };
  const merged = await handlePullRequest(config, event, w.ports, {
    mode: 'tick',
    maxWaitMs: 0,
    dryRun: false,
  });
  expect(merged.releases).toEqual([
    expect.objectContaining({ to: 'v2', headSha: sha(17), status: 'analysing' }),
  ]);
  expect(w.platforms.fraud.state).toEqual(STEP_1);

  await ticksUntilDecided(w, config);
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v2' } });
});

it('require-pass: the merge promotes nothing and says what releases v2', async () => {
  const { config, w } = await stoppedByPostStep('require-pass');

  const merged = await w.prJob(config, 7, 'closed', true);
  expect(merged.releases).toEqual([expect.objectContaining({ to: 'v2', status: 'aborted' })]);
  expect(merged.skipped).toContainEqual({
    model: 'fraud',
    kind: 'note',
    why: `v2 was not promoted: ${POST_STEP_WHY}; ${WHAT_WORKS}`,
  });
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
});
