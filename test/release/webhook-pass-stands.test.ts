import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type CheckService, startCheckService } from '../support/standins/webhook-check.js';

// docs/webhook-gate.openapi.yaml: "pass: the gate passes for this phase (each new phase asks
// again)". An approval given while another gate still waited was asked again at every look, and
// an answer of `waiting` after it (an approval service whose sign-off expires) failed the step at
// its deadline: "no conclusive evidence … approval", a rollback of an approved candidate.

let approval: CheckService;
let loadTest: CheckService;
beforeAll(async () => {
  [approval, loadTest] = await Promise.all([startCheckService(), startCheckService()]);
});
afterAll(() => Promise.all([approval.close(), loadTest.close()]));

const T0 = Date.UTC(2026, 0, 1);
const webhook = (name: string, url: string): WebhookGateConfig => ({
  kind: 'webhook',
  name,
  url,
  headers: {},
  timeoutMs: 2_000,
  consecutiveErrorLimit: 2,
});

describe('a webhook that passed in a phase', () => {
  it('stands for the rest of the phase while another gate decides, and is asked again in the next phase', async () => {
    const clock = new FakeClock(T0);
    const config = canaryModel({
      gates: [webhook('approval', approval.url), webhook('load-test', loadTest.url)],
    });
    const metrics = new ScriptedMetrics({ stable: { rps: 90, values: {} }, canary: { rps: 10, values: {} } });
    const c = { config, target: new MemoryTarget(), metrics, clock };
    let release: Release = newRelease(config, {
      from: 'v1',
      to: 'v2',
      pr: 7,
      headSha: 'b'.repeat(40),
      now: T0,
    });
    const look = async () => {
      release = await tick(release, c);
      await clock.sleep(config.strategy.intervalMs);
    };

    await look(); // the candidate's first step
    approval.answer = { status: 200, body: { verdict: 'pass', note: 'approved by @ml-lead' } };
    loadTest.answer = { status: 200, body: { verdict: 'waiting', note: 'load test running' } };
    await look();
    // The approval service's sign-off lapses; the load test is still running.
    approval.answer = { status: 200, body: { verdict: 'waiting', note: 'approval expired?' } };
    for (let i = 0; i < 3; i++) await look();
    expect(release).toMatchObject({ status: 'analysing', phase: 0 });
    expect(release.gates.find((g) => g.name === 'approval')?.verdict).toBe('pass');
    const askedInStep1 = approval.checks.length;

    loadTest.answer = { status: 200, body: { verdict: 'pass', note: 'p99 180ms' } };
    await look();
    expect(release).toMatchObject({ status: 'analysing', phase: 1 });
    expect(askedInStep1).toBe(1);
    // The next step asks again, and the lapsed approval holds it.
    await look();
    expect(approval.checks.length).toBe(2);
    expect(release.reason).toBe('analysing step 2 of 3: waiting for approval');
    expect([...approval.contractViolations, ...loadTest.contractViolations]).toEqual([]);
  });
});
