import { describe, expect, it } from 'vitest';
import { useConfigChangeInPr7, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The config change note names the fields a PR changes as the PR's config file writes them, and
// goes to the job's log. On pull_request_target (the run with the base's token and secrets, its
// config the base's), PR #7's config at its head adds to fraud-detector's target a key holding
// line breaks and workflow commands. The runner reads a log line starting with `::` as a command:
// written as is, the key would set the step's output, forge an error annotation. The main step
// from src/, against the sandbox (with live traffic) and the GitHub stand-in.

const config = (targetMore = '') => `version: 1
defaults:
  strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}"${targetMore} }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const FORGED_KEY = 'x\\n::set-output name=decision::passed\\n::error title=forged::all gates passed';
const BASE = config();
const HEAD = config(`, "${FORGED_KEY}": 1`);

const world = useFraudPrWorld({ pr: 7, config: BASE, seed: 6 });
// GitHub lists the config among the PR's files: the PR changes it.
useConfigChangeInPr7(world, { base: BASE, head: HEAD });

describe("a PR whose config's field name holds workflow commands", () => {
  it('is named quoted, on one line: the log holds no command the PR wrote', async () => {
    const run = await world.step(
      'pull_request_target',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { 'max-wait': '2m' },
    );
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'ready']);
    const lines = run.log.split(/\r\n|\r|\n/);
    expect(lines.filter((l) => /^\s*::(set-output|error title=forged)/.test(l))).toEqual([]);
    // The key, JSON-quoted and cut, its line breaks shown as \n: readable in the log and the comment.
    const named =
      'fraud-detector: this PR changes its release config: target "x\\n::set-output name=decision::passed\\n::e…" (75 characters) unset → 1';
    expect(lines).toContain(named);
    expect(world.github.comments(7).at(-1)?.body ?? '').toContain('set-output name=decision');
  }, 60_000);
});
