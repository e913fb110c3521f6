import { describe, expect, it } from 'vitest';
import { composeBody } from '../../src/github/sticky-comment.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released } from '../report/release-world.js';
import { fraudLedgerAtSha1, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// An A/B that reached its planned sample without a significant winner failed: rolled back, the run
// failed, its row "❌ fail: no significant winner at the planned sample". Yet the run's summary page
// had no annotation on the gate: only gates whose stored verdict is `fail` got one, and this gate's
// stays pending. A re-run of PR #5's job on the head whose A/B failed (on record in the ledger)
// reports it again; main step from src/, the sandbox and the GitHub stand-in.

const STRATEGY = '{ type: ab, split: 50, step-duration: 3h }';
const GATES = [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
];
const CONFIG = `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: ${STRATEGY}
    gates:
${GATES.map((g) => `      - ${g}`).join('\n')}
`;

const world = useFraudPrWorld({ pr: 5, config: CONFIG });

/** The engine's A/B of v1 → v2 to its planned sample, both arms converting 30%: no winner. */
async function failedWithoutWinner() {
  const arm = { rps: 2, errorRate: 0.3, medianMs: 40 };
  const r = await released(configWith(STRATEGY, GATES), new FakeCounts({ stable: arm, canary: arm }));
  return { ...r, model: 'fraud-detector', pr: 5, headSha: sha(2) };
}

describe('an A/B without a significant winner at its planned sample', () => {
  it('gets an error annotation on its conversion gate, saying what its row says', async () => {
    const release = await failedWithoutWinner();
    expect(release.status).toBe('failed');
    // On record as the job that ran it left it: its claim of the canary slot, ended as failed, and
    // its state in PR #5's comment, both by the job's token.
    const ledger = fraudLedgerAtSha1(world.github);
    const claim = await ledger.deployments.claimCanary(release, async () => false);
    if (!('id' in claim)) throw new Error('the canary slot is held');
    const recorded = { ...release, canaryDeployment: claim.id };
    await ledger.deployments.endCanary(claim.id, recorded);
    const state = { releases: { [recorded.model]: recorded } };
    world.github.addComment(
      5,
      composeBody('## model-gate', { runId: 1, attempt: 1 }, state),
      world.github.botLogin,
    );

    const run = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 5 }),
    );
    expect(run.outputs.decision).toBe('failed');
    // Workflow commands escape ':' in properties as %3A and '%' as %25; GitHub decodes them.
    const annotations = run.log
      .split('\n')
      .filter((l) => l.startsWith('::error title='))
      .map((l) => l.replaceAll('%3A', ':').replaceAll('%25', '%'));
    expect(annotations).toEqual([
      expect.stringMatching(
        /^::error title=fraud-detector v2: gate conversion failed::no significant winner at the planned sample: 30\.00% on v2 vs 30\.00% on v1 \(relative lift .+\); 7,320 of 7,294 planned candidate users/,
      ),
    ]);
    expect(run.report).toContain('❌ fail: no significant winner at the planned sample: 30.00% on v2');
  }, 60_000);
});
