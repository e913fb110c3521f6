import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { dispatchFraudRollback, fraudPromotedByPr, startFraudWorld } from '../support/main-step.js';

// A rollback by workflow_dispatch leaves a note on the PR that brought the bad version in. Its
// comment used to say the rollback twice: "fraud-detector now serves v1 (was v2): rolled back by …"
// and "fraud-detector: v2 was rolled back to v1 by …". It says it once, by the note (kept in the
// comment's state for later writes); the run's log and summary keep "now serves". Main step from
// src/, the sandbox, the GitHub stand-in.
let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2', 3));
  await fraudPromotedByPr(github, 8);
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

it('the comment of the PR whose version was rolled back says the rollback once', async () => {
  const run = await dispatchFraudRollback({ sandbox, github });
  expect(run.error).toBeUndefined();
  const [comment, ...more] = github.comments(8).map((c) => c.body);
  expect(more).toEqual([]);
  const lines = (comment ?? '').split('\n').filter((l) => l.startsWith('- '));
  expect(lines).toEqual([
    '- fraud-detector: v2 was rolled back to v1 by @\u200boctocat via workflow\\_dispatch',
  ]);
  expect(comment).toContain('## model-gate: ↩️ Rolled back by command');
  expect(run.log).toContain(
    'fraud-detector now serves v1 (was v2): rolled back by @octocat via workflow_dispatch\n',
  );
});
