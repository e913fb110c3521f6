import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { FILE, MODEL, mainStepUnder } from './candidate-on-old-target-world.js';

// fraud-detector moved from sandbox A to sandbox B, which serves v3; PR #8's candidate v2 is still
// recorded on A (analysing at 10%). An emergency rollback under B's config must act on B: before,
// it was refused for the stale candidate on A, and B kept serving v3. The candidate on A is left
// alone, and the run says where it is and how to end it; an abort under B's config then ends its
// record without touching either platform. Main step from src/, two real sandboxes, the GitHub
// stand-in as the ledger.
let github: FakeGitHub;
let a: Sandbox;
let b: Sandbox;

beforeEach(async () => {
  [a, b, github] = await Promise.all([
    startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] }),
    startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v3' }] }),
    startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' }),
  ]);
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setPullRequest(8, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});

afterEach(async () => {
  expect(github.violations).toEqual([]);
  await Promise.all([a.close(), b.close(), github.close()]);
});

const serving = async (s: Sandbox) =>
  (await requestJson('GET', `${s.url}/admin/models/${MODEL}/traffic`)).body;
const atTenPercent = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

const step = (eventName: string, event: unknown, inputs: Record<string, string>, url: string) =>
  mainStepUnder(url, github, { eventName, event, inputs: { ledger: 'github', ...inputs } });
const dispatch = (inputs: Record<string, string>, url: string) =>
  step('workflow_dispatch', workflowDispatchEvent(inputs), { model: MODEL, ...inputs }, url);

describe('a rollback under the config of the target the model moved to', () => {
  it('rolls that target back, and leaves the stale candidate on the old target alone, saying where it is', async () => {
    const opened = await step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 8 }),
      { mode: 'tick' },
      a.url,
    );
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(await serving(a)).toEqual(atTenPercent);

    const rolledBack = await dispatch({ command: 'rollback', 'to-version': 'v1' }, b.url);
    expect([rolledBack.error, rolledBack.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await serving(b)).toEqual({ stable: { version: 'v1' } });
    expect(await serving(a)).toEqual(atTenPercent);
    expect(rolledBack.log).toContain(
      `${MODEL}: PR #8's candidate v2 (analysing) was deployed on sandbox ${MODEL} at ${a.url}, which this config does not name: the rollback left it alone, and v2 may still get live traffic there`,
    );
    expect(rolledBack.log).toContain(`run command: abort for ${MODEL} under this config`);

    // The abort under B's config: the record ends, neither sandbox is touched, and it says so.
    const aborted = await dispatch({ command: 'abort' }, b.url);
    expect([aborted.error, aborted.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(aborted.log).toContain(
      `v2 was deployed on sandbox ${MODEL} at ${a.url}, which this config does not name: its record is ended; nothing was withdrawn there — if sandbox ${MODEL} at ${a.url} still serves v2, withdraw it there`,
    );
    expect(aborted.log).toContain('Record ended by hand: a candidate may still serve on another target');
    expect(aborted.log).not.toContain('v2 was withdrawn');
    expect(await serving(a)).toEqual(atTenPercent);
    expect(await serving(b)).toEqual({ stable: { version: 'v1' } });

    // Nothing of it is left for B's runs to refuse: a tick under B's config passes.
    const tick = await step('schedule', { schedule: '*/15 * * * *' }, {}, b.url);
    expect(tick.error).toBeUndefined();
  });
});
