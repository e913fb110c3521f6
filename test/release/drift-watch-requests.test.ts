import { describe, expect, it } from 'vitest';
import { useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A schedule tick reads each model's canary holder once: its drift watch, which names a candidate
// serving beside the stable version by the release holding the slot, takes the tick's read. Read
// again per model, it took a quiet tick from 4 GitHub requests to 6.

const FILE = 'models/fraud.yaml';
const CONFIG = `version: 1
defaults:
  strategy: { type: canary, steps: [10, 50], step-duration: 2s, min-requests: 10, interval: 250ms }
models:
  fraud-detector:
    source: { file: ${FILE}, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
    drift-watch: { window: 60s, reference: 60s, max-psi: 0.25 }
`;
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 4 });
const { step } = world;

describe('a schedule tick with a drift watch', () => {
  it('reads the canary holder once per model: 4 GitHub requests with nothing in flight', async () => {
    // A PR that claimed the slot and ended: the claim is on record, inactive.
    const shas = { base: sha(1), head: sha(2) };
    await step('pull_request', pullRequestEvent('opened', shas, { number: 7 }), { mode: 'tick' });
    await step('pull_request', pullRequestEvent('closed', shas, { number: 7 }), { mode: 'tick' });
    world.github.resetRequests();
    const tick = await step('schedule', { schedule: '*/15 * * * *' });
    expect(tick.error).toBeUndefined();
    const claimsListed = world.github.requests.filter(
      (r) => r.operationId === 'repos/list-deployments' && r.query.task === 'model-gate:canary',
    );
    expect(claimsListed).toHaveLength(1);
    // The fifth: its look finds no predictions, so it reads whether a drift is on record, not over.
    expect(world.github.requests).toHaveLength(5);
    expect(world.github.violations).toEqual([]);
  });
});
