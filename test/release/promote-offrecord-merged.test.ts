import { expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { CONFIG, MERGE_V3_FIRST, NOT_PROMOTED, readyThen, WHILE_OPEN } from './hand-placed-stable-world.js';

// PR #7's v2 was ready when `command: promote` found hotfix v3 put in place by hand: v2 not
// promoted, its release aborted, the advice "push a new commit to PR #7 if it is still open …; if
// it is merged, merge a PR that sets fraud.yaml to v3 …". Then PR #7 merged: its note dropped the
// open PR's clause and kept "…never compared with v3; if it is merged, merge a PR …", the "if"
// dangling and "to release v2 against v3" gone. Now the merged case's words stand on their own.

it('promote refused over a hand-placed v3, then PR #7 merged: its note says what releases v2, with no dangling "if it is merged"', async () => {
  const w = await readyThen();
  await handleCommand(CONFIG, 'promote', { model: 'fraud', dryRun: false }, w.ports);

  // While PR #7 may still be open, the record says both ways.
  const aborted = (await w.file.release('fraud')) as Release;
  expect(aborted.reason).toBe(`${NOT_PROMOTED}; ${MERGE_V3_FIRST}; ${WHILE_OPEN}`);

  const merged = await w.prJob(CONFIG, 7, 'closed', true);
  const note = merged.skipped.find((s) => s.model === 'fraud')?.why;
  expect(note).toBe(`${NOT_PROMOTED}; ${MERGE_V3_FIRST}`);
  expect(note).not.toContain('if it is merged');
  expect(renderMarkdown(CONFIG, merged, { now: w.clock.now() })).toContain(
    `${NOT_PROMOTED}; ${MERGE_V3_FIRST}`,
  );
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
});
