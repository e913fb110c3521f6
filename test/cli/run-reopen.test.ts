import { expect, it, vi } from 'vitest';
import { CLI_MODEL, useCliRunWorld } from '../support/cli-run-world.js';

// A release of the working tree that ended without a verdict (an abort, a Ctrl-C) or with a failed
// one: `run release` on the same working tree refuses to analyse it again, and must say what the
// user can do on a laptop, where no push ever gives the working tree a new head.
vi.setConfig({ testTimeout: 90_000 });
const MODEL = CLI_MODEL;
const w = useCliRunWorld();
const { run, declare, serving } = w;
const linesSaying = (stdout: string, words: string) => stdout.split('\n').filter((l) => l.includes(words));

it('after an abort, says to reopen, and run reopen analyses the working tree again', async () => {
  await declare('v2');
  expect((await run('release', '--pr', '4', '--mode', 'tick')).code).toBe(0);
  expect((await run('abort', '--model', MODEL)).code).toBe(0);

  const again = await run('release', '--pr', '4');
  expect(linesSaying(again.stdout, 'already ended aborted')).toEqual([
    `  ! ${MODEL}: this head (the working tree) already ended aborted: its candidate was withdrawn before the analysis decided; to analyse it again, run model-gate run reopen --pr 4 (as a reopened PR does), or commit and run with --head HEAD`,
  ]);
  expect(await serving()).toEqual({ stable: { version: 'v1' } });

  const reopened = await run('reopen', '--pr', '4');
  expect(reopened.stderr).toBe('');
  expect(reopened.stdout).toContain('the PR was reopened: analysing v2 on the working tree again');
  expect(reopened.stdout).toMatch(/^model-gate: ✅ Ready to merge$/m);
  expect((await run('close', '--pr', '4')).code).toBe(0);
});

it('after a failed analysis, says to commit and name the commit with --head, which is then analysed', async () => {
  // A branch, as a PR's: the commit is then a change from main's v1.
  w.repo.git('checkout', '-q', '-b', 'faulty');
  await declare('v3');
  expect((await run('release', '--pr', '5')).code).toBe(1);

  const again = await run('release', '--pr', '5');
  // Said once: the log's warning, not again among the report's lines just below it.
  expect(linesSaying(again.stdout, 'already failed')).toEqual([
    `  ! ${MODEL}: this head (the working tree) already failed its analysis, and a failed analysis is not run again on the same head; commit your change and run again with --head HEAD to analyse that commit`,
  ]);
  expect(again.stdout).toMatch(/^model-gate: ❌ Rolled back$/m);

  await w.repo.commit({}, 'v3');
  const committed = await run('release', '--pr', '5', '--head', 'HEAD');
  expect(committed.stdout).not.toContain('already failed');
  expect(committed.stdout).toMatch(/errors: [\d.]+% is above the max 2\.00%/);
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
});
