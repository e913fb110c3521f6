import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { platformPassThrough } from '../support/platform-pass-through.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// A candidate fails its gate and the platform takes its rollback, but the read-back right after
// the change meets a 503 once (the platform's read endpoint timing out upstream). The release
// ended "Rollback incomplete: … could not be rolled back to v1", its withdrawal pending, though v1
// served alone. The real sandbox behind a pass-through, a file ledger, a fake clock.

let sandbox: Sandbox;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
/** GETs left to answer with a 503 after the next withdrawal (a PUT of the stable version alone). */
let failReadsAfterWithdrawal = 0;
let armed = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    if (method === 'PUT' && !(body as { canary?: unknown }).canary) {
      armed = failReadsAfterWithdrawal;
      return forward();
    }
    if (method === 'GET' && armed > 0) {
      armed -= 1;
      return { status: 503, body: { error: 'read timed out upstream' } };
    }
    return forward();
  });
});
afterAll(async () => {
  await platform?.close();
  await sandbox?.close();
});
beforeEach(() => {
  failReadsAfterWithdrawal = 0;
  armed = 0;
});

const served = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

/** Candidate v2 erring on 20% of its requests: the error gate (max 2%) fails it. */
const faulty = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.2 } },
  });

describe('a failed gate whose rollback the platform took, its first read-back failing once', () => {
  it('reads again and ends rolled back: v1 serves alone, nothing pending, no "rollback incomplete"', async () => {
    const w = await prOnSandbox({ url: platform.url } as Sandbox, {
      strategy: '{ type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }',
      from: 'v1',
      to: 'v2',
      metrics: faulty(),
    });
    failReadsAfterWithdrawal = 1;
    const run = await w.open('watch');
    expect(armed).toBe(0);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    const [release] = run.releases;
    expect(release).toMatchObject({ status: 'failed' });
    expect(release?.withdrawPending).toBeUndefined();
    expect(release?.ending?.withdrawFailed).toBeUndefined();
    const report = renderMarkdown(w.config, run, { now: w.clock.now() });
    expect(report.split('\n')[0]).toBe('## model-gate: ❌ Rolled back');
    expect(report).not.toMatch(/could not be rolled back|may still get live traffic|503/);
    // The ledger frees the model's slot: nothing of v2 is live.
    expect(await w.ledger.canaryHolder(MODEL)).toBeUndefined();
  });

  it('no read answering within the settle-timeout: the rollback is reported unconfirmed, never as done', async () => {
    const w = await prOnSandbox({ url: platform.url } as Sandbox, {
      strategy: '{ type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }',
      from: 'v1',
      to: 'v2',
      metrics: faulty(),
    });
    failReadsAfterWithdrawal = Number.POSITIVE_INFINITY;
    const run = await w.open('watch', 60_000);
    failReadsAfterWithdrawal = 0;
    armed = 0;
    // The platform took it: v1 alone serves, though no read said so.
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    const [release] = run.releases;
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    expect(release?.ending?.withdrawFailed?.unconfirmed).toBe(true);
    expect(release?.reason).toMatch(/; the rollback to v1 is unconfirmed: .* never confirmed it/);
    const report = renderMarkdown(w.config, run, { now: w.clock.now() });
    expect(report.split('\n')[0]).toBe(
      '## model-gate: ⚠️ Rollback unconfirmed: a candidate may still get live traffic',
    );
  });
});
