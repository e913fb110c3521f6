import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  dispatchFraudRollback,
  fraudPromotedByPr,
  fraudServing,
  startFraudWorld,
} from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// An incident: v2 (promoted by PR #8) is bad and someone runs the rollback by workflow_dispatch.
// The note on PR #8 and the Deployment recording the rollback name who ran it (the payload's
// sender), so the audit trail names a person, not only "workflow_dispatch"; a sender that is no
// plain GitHub login is not let into the comment (no Markdown, no extra mentions). Main step from
// src/, the sandbox, the GitHub stand-in.
let world: { sandbox: Sandbox; github: FakeGitHub } | undefined;

afterEach(async () => {
  expect(world?.github.violations).toEqual([]);
  await world?.sandbox.close();
  await world?.github.close();
});

/** v2 serves, promoted from v1 by PR #8; `sender` (the payload's, or none) runs the rollback to v1. */
async function rollbackBy(sender: unknown) {
  world = await startFraudWorld('v2', 3);
  const { sandbox, github } = world;
  await fraudPromotedByPr(github, 8);
  const { sender: _, ...payload } = workflowDispatchEvent({ command: 'rollback', model: 'fraud-detector' });
  const run = await dispatchFraudRollback(world, sender === undefined ? payload : { ...payload, sender });
  expect(run.error).toBeUndefined();
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  const rollback = github
    .deployments('model-gate/fraud-detector')
    .find((d) => d.description === 'rollback v2 -> v1');
  return {
    run,
    note: github
      .comments(8)
      .map((c) => c.body)
      .join('\n'),
    recorded: (rollback?.payload as { summary?: string } | undefined)?.summary,
    status: rollback?.statuses.map((s) => s.description),
  };
}

describe('a rollback by workflow_dispatch names who ran it', () => {
  it('the PR note, the Deployment, `models` and the log name the login that ran it', async () => {
    const { run, note, recorded, status } = await rollbackBy({ login: 'octocat', type: 'User' });
    // The comment escapes every @ (escapeMarkdown), the login's too: named, not pinged.
    expect(note).toContain(
      '- fraud-detector: v2 was rolled back to v1 by @\u200boctocat via workflow\\_dispatch\n',
    );
    expect(recorded).toBe('rolled back by @octocat via workflow_dispatch');
    expect(status).toEqual(['rolled back by @octocat via workflow_dispatch']);
    expect(JSON.parse(run.outputs.models ?? '')).toMatchObject([
      { model: 'fraud-detector', reason: 'rolled back by @octocat via workflow_dispatch' },
    ]);
    expect(run.log).toContain(
      'fraud-detector now serves v1 (was v2): rolled back by @octocat via workflow_dispatch\n',
    );
  });

  it("an App's login (name[bot]) is named too, its brackets escaped in the comment", async () => {
    const { note, recorded } = await rollbackBy({ login: 'deploy-bot[bot]', type: 'Bot' });
    expect(note).toContain(
      'v2 was rolled back to v1 by @\u200bdeploy-bot\\[bot\\] via workflow\\_dispatch\n',
    );
    expect(recorded).toBe('rolled back by @deploy-bot[bot] via workflow_dispatch');
  });

  it('a sender that is no GitHub login is left out: no link, no mention gets into the note', async () => {
    const { note, recorded } = await rollbackBy({
      login: 'x](https://evil.example) @everyone',
      type: 'User',
    });
    expect(note).toContain('v2 was rolled back to v1 by workflow\\_dispatch\n');
    expect(note).not.toContain('evil');
    expect(note).not.toContain('everyone');
    expect(recorded).toBe('rolled back by workflow_dispatch');
  });

  it('a payload without a sender keeps the wording it had', async () => {
    const { note, recorded } = await rollbackBy(undefined);
    expect(note).toContain('v2 was rolled back to v1 by workflow\\_dispatch\n');
    expect(recorded).toBe('rolled back by workflow_dispatch');
  });
});
