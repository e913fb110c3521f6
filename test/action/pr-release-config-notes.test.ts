import { describe, expect, it } from 'vitest';
import { fraudServing, runMainStep, useConfigChangeInPr7, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The main step from src/, against the sandbox (with live traffic) and the GitHub stand-in: PR #7
// moves fraud-detector from v1 (base sha(1)) to v2 (head sha(2)), and loosens its own gates: errors
// from 2% to 50%, p99 dropped, the merge promoting whatever the analysis says. The run obeys the
// PR's config; its comment and job summary say what the PR changed, read from the config file at
// the PR's base and head (the `config` input, an absolute path in the workspace). The merge job's
// config then has a gate the analysis never judged: it promotes, and says so, with a log warning.

const model = (gates: string[], extra = '') => `version: 1
defaults:
  strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
${extra}    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

const P99 = '{ name: p99, kind: threshold, query: latency-p99, max: 0.25 }';
const BASE = model(['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }', P99]);
const LOOSE_ERRORS = '{ name: errors, kind: threshold, query: error-rate, max: 0.5 }';
const HEAD = model([LOOSE_ERRORS], '    on-merge: analyze-then-promote\n');
/** The merged head's config as the merge job reads it: a gate more than the analysis had. */
const MERGED = model(
  [LOOSE_ERRORS, '{ name: never-judged, kind: threshold, query: latency-p99, max: 0.25 }'],
  '    on-merge: analyze-then-promote\n',
);

const world = useFraudPrWorld({ pr: 7, config: HEAD, seed: 6 });
// GitHub lists the config among the PR's files: the PR changes it.
useConfigChangeInPr7(world, { base: BASE, head: HEAD });

const CHANGES =
  'changes its release config: gate "p99" removed; gate "errors" max 0.02 → 0.5; on-merge require-pass → analyze-then-promote';
/** As PR #7's comment says it; its job summary names the PR, as every report but the comment does. */
const LOOSENED = `fraud-detector: this PR ${CHANGES}`;
const LOOSENED_BY_PR_7 = `fraud-detector: PR #7 ${CHANGES}`;
const comment = () => world.github.comments(7).at(-1)?.body ?? '';

describe('a PR that loosens its own gates, then merged under a gate never judged', () => {
  it("says what the PR changes of fraud-detector's release config, in the comment and the job summary", async () => {
    const run = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { 'max-wait': '2m' },
    );
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'ready']);
    expect(run.report).toContain(`\n- ${LOOSENED_BY_PR_7}\n`);
    expect(comment()).toContain(`\n- ${LOOSENED}\n`);
  }, 60_000);

  it('promotes on merge, naming the gate its analysis never judged, with a warning in the log', async () => {
    const run = await runMainStep({
      eventName: 'pull_request',
      event: pullRequestEvent('closed', { base: sha(1), head: sha(2) }, { number: 7, merged: true }),
      inputs: { ledger: 'github' },
      config: MERGED,
      githubUrl: world.github.url,
      env: { SANDBOX_URL: world.sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
    });
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'promoted']);
    expect(((await fraudServing(world.sandbox)) as { stable: unknown }).stable).toEqual({ version: 'v2' });
    const unjudged =
      'fraud-detector: the merge config has gate "never-judged" (not configured then) that the analysis of v2 did not judge: the merge promotes it on the gates it passed';
    for (const text of [run.report, comment()]) expect(text).toContain(`\n- ${unjudged}\n`);
    expect(run.report).toContain(`\n- ${LOOSENED_BY_PR_7}\n`);
    expect(comment()).toContain(`\n- ${LOOSENED}\n`);
    expect(run.log).toContain(`::warning::${unjudged}\n`);
  }, 60_000);
});
