import { expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// PR #7's v2 ended aborted while the PR was open (withdrawn by hand mid-analysis, or by the abort
// command), then the PR merged. The merge's note repeated the open PR's advice, "push a new commit,
// or close and reopen the PR, to analyse it again", which a merged PR cannot follow, and said
// nothing of what can. Now it says what releases v2 from the base branch that declares it.

const WHAT_WORKS =
  'the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets fraud.yaml back to v1, then open one that declares v2 again';

for (const onMerge of ['require-pass', 'analyze-then-promote']) {
  const config = configOf(['fraud'], `\n    on-merge: ${onMerge}`);

  it(`withdrawn by hand before the merge (${onMerge}): the merge's note says what works for a merged PR`, async () => {
    const w = await twoModelsWorld();
    await w.prJob(config, 7);
    w.platforms.fraud.state = { stable: { version: 'v1' } };
    w.clock.advance(20_000);
    await w.tick(config);
    expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'aborted' });

    const merged = await w.prJob(config, 7, 'closed', true);
    const note = merged.skipped.find((s) => s.model === 'fraud')?.why ?? '';
    expect(note).toMatch(/^v2 was not promoted: v2 had no live traffic .* or it was withdrawn by hand; /);
    expect(note).not.toContain('push a new commit');
    expect(note).not.toContain('reopen the PR');
    expect(note.endsWith(WHAT_WORKS)).toBe(true);
    expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  });

  it(`aborted by command before the merge (${onMerge}): the note says so and what works`, async () => {
    const w = await twoModelsWorld();
    await w.prJob(config, 7);
    await handleCommand(config, 'abort', { model: 'fraud', dryRun: false }, w.ports);

    const merged = await w.prJob(config, 7, 'closed', true);
    expect(merged.skipped).toContainEqual({
      model: 'fraud',
      kind: 'note',
      why: `v2 was not promoted: aborted by the abort command; ${WHAT_WORKS}`,
    });
  });
}
