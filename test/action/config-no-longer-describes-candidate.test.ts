import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { fraudServing, runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A candidate the config no longer describes: its model moved to another target (A to B) or left
// the config while the candidate served. No run may then say it withdrew what it never touched, nor
// go quiet while the candidate keeps its traffic: the run fails, naming the model and what to do.
// Main step from src/, two real sandboxes (A and B), the GitHub stand-in; each run makes one pass.
const FRAUD = 'models/fraud.yaml';
const CHURN = 'models/churn.yaml';

/** fraud-detector on the sandbox at `url` (churn too, unless `fraud` is false). */
const config = (url: string, opts: { fraud?: boolean } = {}) => `version: 1
defaults:
  strategy: { type: canary, steps: [10, 25, 50, 75], interval: 250ms }
models:
${
  opts.fraud === false
    ? ''
    : `  fraud-detector:
    source: { file: ${FRAUD}, key: version }
    target: { type: sandbox, url: "${url}", model: fraud-detector }
    metrics: { type: sandbox, url: "${url}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`
}  churn:
    source: { file: ${CHURN}, key: version }
    target: { type: sandbox, url: "${url}" }
    metrics: { type: sandbox, url: "${url}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let github: FakeGitHub;
let a: Sandbox;
let b: Sandbox;

// Each test in a world of its own: a PR a failed test leaves holding the canary slot queues none of the next.
beforeEach(async () => {
  const serving = { modelsDir: demoModelsDir, endpoints: [{ model: 'fraud-detector', stable: 'v1' }] };
  [a, b, github] = await Promise.all([
    startSandbox(serving),
    startSandbox(serving),
    startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' }),
  ]);
  for (const n of [1, 2, 3, 4]) {
    github.setFile(sha(n), FRAUD, n === 1 ? 'version: v1\n' : 'version: v2\n');
    github.setFile(sha(n), CHURN, 'version: c1\n');
  }
});

afterEach(async () => {
  expect(github.violations).toEqual([]);
  await Promise.all([a.close(), b.close(), github.close()]);
});

const described = (s: Sandbox) => `sandbox fraud-detector at ${s.url}`;

/** The main step on PR `pr`'s event at head `head` (merged: a merged close). */
function onPr(
  pr: number,
  action: 'opened' | 'synchronize' | 'closed',
  head: number,
  configText: string,
  merged = false,
) {
  github.setPullRequest(pr, {
    baseSha: sha(1),
    headSha: sha(head),
    files: [{ filename: FRAUD, status: 'modified' }],
  });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(1), head: sha(head) }, { number: pr, merged }),
    inputs: { ledger: 'github', mode: 'tick' },
    config: configText,
    githubUrl: github.url,
    env: { MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.01' },
  });
}

const tick = (configText: string) =>
  runMainStep({
    eventName: 'schedule',
    event: { schedule: '*/15 * * * *' },
    inputs: { ledger: 'github' },
    config: configText,
    githubUrl: github.url,
    env: { MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.01' },
  });

const comment = (pr: number) => github.comments(pr).at(-1)?.body ?? '';
const atTenPercent = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

describe('a push that moves the model to another target while its candidate serves', () => {
  it('fails naming both targets, leaves the candidate alone and records no withdrawal; the old config withdraws it', async () => {
    const opened = await onPr(8, 'opened', 2, config(a.url));
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(await fraudServing(a)).toEqual(atTenPercent);

    for (const [action, head] of [
      ['synchronize', 3],
      ['closed', 3],
    ] as const) {
      const moved = await onPr(8, action, head, config(b.url));
      expect(moved.outputs.decision).toBe('error');
      expect(moved.error).toContain(`fraud-detector: PR #8's candidate v2 was deployed on ${described(a)}`);
      expect(moved.error).toContain(`this run's config names ${described(b)} as its target`);
      expect(moved.error).toContain('v2 may still get live traffic there');
      expect(moved.error).toContain(`revert the target change, or run command: abort with such a config`);
      expect(await fraudServing(a)).toEqual(atTenPercent);
      expect(await fraudServing(b)).toEqual({ stable: { version: 'v1' } });
      expect(comment(8)).not.toContain('Withdrawn');
    }

    // Under the config that names A again (the target change reverted), the close withdraws it.
    const closed = await onPr(8, 'closed', 3, config(a.url));
    expect([closed.error, closed.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(await fraudServing(a)).toEqual({ stable: { version: 'v1' } });
    expect(comment(8)).toContain('Withdrawn');
  });

  it("a tick under another target than the PR's: fails, and does not end the release as withdrawn by hand", async () => {
    const opened = await onPr(9, 'opened', 2, config(b.url));
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);

    const moved = await tick(config(a.url));
    // The tick publishes its pass (nothing it could drive), then fails naming the model.
    expect(moved.outputs.decision).toBe('skipped');
    expect(moved.error).toContain(`fraud-detector: PR #9's candidate v2 was deployed on ${described(b)}`);
    expect(moved.error).toContain(`this run's config names ${described(a)}`);
    expect(moved.log).not.toContain('withdrawn by hand');
    expect(await fraudServing(b)).toEqual(atTenPercent);

    // Its own target's tick goes on driving it; its close withdraws it.
    const own = await tick(config(b.url));
    expect([own.error, own.outputs.decision]).toEqual([undefined, 'analysing']);
    const closed = await onPr(9, 'closed', 2, config(b.url));
    expect([closed.error, closed.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(await fraudServing(b)).toEqual({ stable: { version: 'v1' } });
  });
});

describe('a model removed from the config while its candidate serves', () => {
  it('the push and the merge under the config without it fail, saying the candidate may still be live', async () => {
    const opened = await onPr(10, 'opened', 2, config(a.url));
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);

    const churnOnly = config(a.url, { fraud: false });
    for (const [action, merged] of [
      ['synchronize', false],
      ['closed', true],
    ] as const) {
      const removed = await onPr(10, action, 4, churnOnly, merged);
      expect(removed.outputs.decision).toBe('error');
      expect(removed.error).toContain(
        "fraud-detector: PR #10's candidate v2 is analysing, but the config no longer names fraud-detector",
      );
      expect(removed.error).toContain('v2 may still get live traffic');
      expect(removed.error).toContain('Put fraud-detector back in the config');
      expect(comment(10)).not.toContain('no release of PR #10 is recorded');
    }
    expect(await fraudServing(a)).toEqual(atTenPercent);
  });
});
