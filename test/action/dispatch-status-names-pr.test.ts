import { describe, expect, it } from 'vitest';
import { useConfigChangeInPr7, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// A report other than a PR's own comment cannot say "this PR": a workflow_dispatch status run may
// show the release of any PR. The main step from src/, against the sandbox and the GitHub stand-in:
// PR #7 moves fraud-detector from v1 to v2 and lengthens its steps, one tick leaves it analysing;
// then `command: status`. Its job summary names PR #7 in the release's heading and its lines, and
// `models` says whose candidate it is; PR #7's comment keeps its own words.

const config = (stepDuration: string) => `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: ${stepDuration}, min-requests: 100, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const HEAD = config('30m');

const world = useFraudPrWorld({ pr: 7, config: HEAD, seed: 4 });
useConfigChangeInPr7(world, { base: config('30s'), head: HEAD });

const CHANGES = 'changes its release config: strategy step-duration 30s → 30m';
const comment = () => world.github.comments(7).at(-1)?.body ?? '';

describe('a status run while PR #7 is analysing', () => {
  it("names PR #7 in the job summary and the models output; PR #7's comment says this PR", async () => {
    const pr = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { mode: 'tick' },
    );
    expect([pr.error, pr.outputs.decision]).toEqual([undefined, 'analysing']);

    const status = await world.step('workflow_dispatch', workflowDispatchEvent({ command: 'status' }), {
      command: 'status',
    });
    expect(status.error).toBeUndefined();
    expect(status.report).toContain('\n### fraud-detector: v1 → v2 (PR #7) (analysing)\n');
    expect(status.report).toContain(
      "the next schedule tick (command: tick), or a re-run of PR #7's job, continues the analysis\n",
    );
    expect(status.report).toContain(`\n- fraud-detector: PR #7 ${CHANGES}\n`);
    expect(status.report).not.toMatch(/this PR|the PR's job/);
    expect(JSON.parse(status.outputs.models ?? '')).toMatchObject([
      { model: 'fraud-detector', from: 'v1', to: 'v2', pr: 7, status: 'analysing' },
    ]);

    // The PR's own comment: every release in it is PR #7's.
    expect(comment()).toContain('\n### fraud-detector: v1 → v2 (analysing)\n');
    expect(comment()).toContain("or a re-run of the PR's job, continues the analysis\n");
    expect(comment()).toContain(`\n- fraud-detector: this PR ${CHANGES}\n`);
  }, 60_000);
});
