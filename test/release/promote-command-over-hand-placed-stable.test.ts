import { expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { sha } from '../support/model-config.js';
import { CONFIG, MERGE_V3_FIRST, NOT_PROMOTED, readyThen, WHILE_OPEN } from './hand-placed-stable-world.js';
import { FILES, IDLE, prEvent } from './two-models-world.js';

// PR #7's v2 passed its canary against v1 and is ready (idle at 0%), its PR still open. An engineer
// then put hotfix v3 in place by hand. `command: promote` replaced v3 by v2 with no look: v2 never
// compared with v3, and the ledger saying v2 replaced v1, so a later rollback went to v1 and lost
// the hotfix. Now the command reads what serves first, as a merge's promotion does.

const PROMOTE = { model: 'fraud', dryRun: false };

const WHAT_TO_DO = `${MERGE_V3_FIRST}; ${WHILE_OPEN}`;

it('the promote command does not promote over a stable version changed by hand: v3 keeps serving, the report says why', async () => {
  const w = await readyThen();
  const result = await handleCommand(CONFIG, 'promote', PROMOTE, w.ports);

  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
  const recorded = (await w.file.release('fraud')) as Release;
  expect(recorded).toMatchObject({ to: 'v2', status: 'aborted' });
  expect(recorded.reason).toBe(`${NOT_PROMOTED}; ${WHAT_TO_DO}`);
  expect(recorded.reason).not.toContain('merge job');
  expect(await w.file.history('fraud')).toEqual([]);
  expect(runDecision(result)).toBe('aborted');
  const report = renderMarkdown(CONFIG, result, { now: w.clock.now() });
  expect(report).not.toContain('promoted (replacing');
  expect(report).toContain(`- fraud v2 was withdrawn: ${NOT_PROMOTED}`);
  expect(w.warnings.join('\n')).toContain(NOT_PROMOTED);

  // A rollback after it finds no promotion that never was: v3 is not traded for v1.
  await expect(handleCommand(CONFIG, 'rollback', PROMOTE, w.ports)).rejects.toThrow(
    'the ledger has no version before v3',
  );
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
});

it('with v2 still at a share beside the hand-placed v3: v2 is withdrawn, v3 alone serves', async () => {
  const w = await readyThen({ stable: { version: 'v3' }, canary: { version: 'v2', weight: 10 } });
  await handleCommand(CONFIG, 'promote', PROMOTE, w.ports);

  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v3' } });
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'aborted' });
  expect(await w.file.history('fraud')).toEqual([]);
});

it('the advice holds: a new commit to the open PR analyses v2 against v3', async () => {
  const w = await readyThen();
  await handleCommand(CONFIG, 'promote', PROMOTE, w.ports);
  FILES[sha(70)] = { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v1\n' };
  const pushed = { ...prEvent(7, 'synchronize'), headSha: sha(70) };
  await handlePullRequest(CONFIG, pushed, w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });

  expect(await w.file.release('fraud')).toMatchObject({ from: 'v3', to: 'v2', status: 'analysing' });
  expect(w.platforms.fraud.state).toEqual({
    stable: { version: 'v3' },
    canary: { version: 'v2', weight: 10 },
  });
});

it('a dry run says it would not promote, and why, changing nothing', async () => {
  const w = await readyThen();
  const writes = w.platforms.fraud.writes.length;
  const result = await handleCommand(CONFIG, 'promote', { ...PROMOTE, dryRun: true }, w.ports);

  expect(result.skipped).toEqual([
    {
      model: 'fraud',
      kind: 'dry-run',
      why: `would not promote v2, and would withdraw it, its release ended aborted: ${NOT_PROMOTED.replace('v2 was not promoted: ', '')}; ${WHAT_TO_DO}`,
    },
  ]);
  expect(w.platforms.fraud.writes).toHaveLength(writes);
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'ready' });
});

it('what serves unreadable: the command fails saying so, nothing changed', async () => {
  const w = await readyThen(IDLE);
  const fraud = w.platforms.fraud;
  fraud.read = async () => {
    throw new TargetError('memory target A: read timed out');
  };
  const writes = fraud.writes.length;

  await expect(handleCommand(CONFIG, 'promote', PROMOTE, w.ports)).rejects.toThrow(
    'promote fraud: v2 was not promoted, and nothing was changed: what serves could not be read before it: memory target A: read timed out; run the promote command again once the platform answers reads',
  );
  expect(fraud.writes).toHaveLength(writes);
  expect(fraud.state).toEqual(IDLE);
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'ready' });
  expect(await w.file.history('fraud')).toEqual([]);

  const dry = await handleCommand(CONFIG, 'promote', { ...PROMOTE, dryRun: true }, w.ports);
  expect(dry.skipped[0]?.why).toContain('would not promote v2 now: what serves could not be read before it');
});

it('v2 serving already (a promotion that landed unrecorded): the promotion is recorded', async () => {
  const w = await readyThen({ stable: { version: 'v2' } });
  await handleCommand(CONFIG, 'promote', PROMOTE, w.ports);

  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v2' } });
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'promoted' });
  expect(await w.file.history('fraud')).toMatchObject([{ kind: 'promotion', version: 'v2', previous: 'v1' }]);
});

it('v1 serving as analysed: promoted as before', async () => {
  const w = await readyThen(IDLE);
  await handleCommand(CONFIG, 'promote', PROMOTE, w.ports);

  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v2' } });
  expect(await w.file.history('fraud')).toMatchObject([{ kind: 'promotion', version: 'v2', previous: 'v1' }]);
});

it('the withdrawal beside v3 refused: the command fails saying so, the release ended, its withdrawal pending', async () => {
  const w = await readyThen({ stable: { version: 'v3' }, canary: { version: 'v2', weight: 10 } });
  w.platforms.fraud.failFromWrite = w.platforms.fraud.writes.length;

  await expect(handleCommand(CONFIG, 'promote', PROMOTE, w.ports)).rejects.toThrow(
    `${NOT_PROMOTED}; ${WHAT_TO_DO}; withdrawing v2 failed: platform unavailable; the release of v2 of PR #7 is recorded as ended`,
  );
  expect(w.platforms.fraud.state.stable).toEqual({ version: 'v3' });
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'aborted', withdrawPending: true });
  expect(await w.file.history('fraud')).toEqual([]);
});
