import { expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { CONFIG, NOT_PROMOTED, readyThen, MERGE_V3_FIRST as WHAT_TO_DO } from './hand-placed-stable-world.js';
import { configOf, IDLE, twoModelsWorld } from './two-models-world.js';

// PR #7's v2 passed its canary against v1 and is ready (idle at 0%). An engineer then put hotfix v3
// in place by hand: the platform serves v3. The merge promoted v2 over it with no look: v3 gone,
// the comment "v2 was promoted (replacing v1)", the ledger's `previous: v1`, so a later rollback
// went to v1. v2 was never compared with v3. Now the merge reads what serves first: v2 is not
// promoted, v3 keeps serving, and the report says why and what to do.

it('a merge does not promote over a stable version changed by hand: v3 keeps serving, the report says why', async () => {
  const w = await readyThen();
  const result = await w.prJob(CONFIG, 7, 'closed', true);

  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
  const recorded = (await w.file.release('fraud')) as Release;
  expect(recorded).toMatchObject({ to: 'v2', status: 'aborted' });
  expect(recorded.reason).toContain(NOT_PROMOTED);
  expect(recorded.reason).toContain(WHAT_TO_DO);
  // No promotion on record: nothing says v2 replaced v1.
  expect(await w.file.history('fraud')).toEqual([]);
  expect(runDecision(result)).toBe('aborted');
  const report = renderMarkdown(CONFIG, result, { now: w.clock.now() });
  expect(report).not.toContain('promoted (replacing');
  expect(report).toContain(`- fraud v2 was withdrawn: ${NOT_PROMOTED}; ${WHAT_TO_DO}; v3 serves`);
  expect(w.warnings.join('\n')).toContain(NOT_PROMOTED);
});

it('with v2 still at a share beside the hand-placed v3: v2 is withdrawn, v3 alone serves', async () => {
  const w = await readyThen();
  w.platforms.fraud.state = { stable: { version: 'v3' }, canary: { version: 'v2', weight: 10 } };
  await w.prJob(CONFIG, 7, 'closed', true);

  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'aborted' });
  expect(await w.file.history('fraud')).toEqual([]);
});

it('a rollback after it does not take v3 away for v1 on the word of a promotion that never was', async () => {
  const w = await readyThen();
  await w.prJob(CONFIG, 7, 'closed', true);
  // Before, the ledger had v2 replace v1, and this went back to v1, the hotfix lost.
  await expect(handleCommand(CONFIG, 'rollback', { model: 'fraud', dryRun: false }, w.ports)).rejects.toThrow(
    'the ledger has no version before v3',
  );
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
});

it('under analyze-then-promote, a tick finishing the analysis after a hotfix does not promote over it either', async () => {
  const config = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const w = await twoModelsWorld();
  await w.prJob(config, 7);
  // Merged while analysing at 10%: the merge job leaves the analysis to the schedule ticks.
  await w.prJob(config, 7, 'closed', true);
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'analysing' });
  w.clock.advance(20_000);
  await w.tick(config);
  // The hotfix lands as the last step passes: right after the tick records v2 ready, before it promotes.
  const ledger = w.ports.ledger;
  w.ports.ledger = {
    ...ledger,
    async saveRelease(release) {
      await ledger.saveRelease(release);
      if (release.status === 'ready') w.platforms.fraud.state = { stable: { version: 'v3' } };
    },
  };
  w.clock.advance(20_000);
  await w.tick(config);

  expect(w.platforms.fraud.state.stable).toEqual({ version: 'v3' });
  expect(await w.file.history('fraud')).toEqual([]);
  const recorded = (await w.file.release('fraud')) as Release;
  expect(recorded).toMatchObject({ to: 'v2', status: 'aborted' });
  expect(recorded.reason).toBe(
    `${NOT_PROMOTED}; to release v2 against v3, re-run the merge job of PR #7, which analyses v2 again against what serves, or merge a PR that sets fraud.yaml to v3, then open one that declares v2 again`,
  );

  // That re-run analyses v2 against v3, and promotes it once it passes.
  await w.prJob(config, 7, 'closed', true);
  expect(await w.file.release('fraud')).toMatchObject({ from: 'v3', to: 'v2', status: 'analysing' });
  expect(w.platforms.fraud.state).toEqual({
    stable: { version: 'v3' },
    canary: { version: 'v2', weight: 10 },
  });
});

it('what serves unreadable before the promotion: nothing written, the promotion pending; a tick promotes it once reads answer', async () => {
  const w = await readyThen(IDLE);
  const fraud = w.platforms.fraud;
  const read = fraud.read.bind(fraud);
  fraud.read = async () => {
    throw new TargetError('memory target A: read timed out');
  };
  const writes = fraud.writes.length;
  await w.prJob(CONFIG, 7, 'closed', true);

  expect(fraud.writes).toHaveLength(writes);
  expect(fraud.state).toEqual(IDLE);
  expect(await w.file.release('fraud')).toMatchObject({
    status: 'ready',
    reason:
      'v2 passed its analysis, but promoting it failed: what serves could not be read before it: memory target A: read timed out; the next schedule tick tries again (or re-run the merge job of PR #7, or use the promote command)',
  });
  expect(await w.file.history('fraud')).toEqual([]);

  fraud.read = read;
  w.clock.advance(3_600_000);
  await w.tick(CONFIG);
  expect(fraud.state).toEqual({ stable: { version: 'v2' } });
  expect(await w.file.release('fraud')).toMatchObject({ status: 'promoted' });
});
