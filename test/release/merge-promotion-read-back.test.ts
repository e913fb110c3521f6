import { afterEach, describe, expect, it } from 'vitest';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { fraudServing } from '../support/main-step.js';
import { platformPassThrough } from '../support/platform-pass-through.js';
import { prReleaseWorld } from '../support/pr-release-world.js';

// The merge job's promotion, which the platform takes, read back while the platform's reads fail
// (its read endpoint timing out upstream): one 503 made it a refused promotion, the release left
// "ready" with its promotion pending and nothing recorded while v2 served all traffic. It is read
// again within the settle-timeout now; never read back, the release says the promotion is
// unconfirmed, not failed. The sandbox behind a pass-through, PR events as the action runs them.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** fraud-detector on the sandbox (v1 serving) behind a pass-through failing `failReads` GETs after the promotion's PUT. */
async function promotionWorld() {
  const sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
  });
  const reads = { failing: 0, armed: 0 };
  const platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const promotion =
      method === 'PUT' && (body as { stable: { version: string }; canary?: unknown }).stable.version === 'v2';
    if (promotion && !(body as { canary?: unknown }).canary) reads.armed = reads.failing;
    else if (method === 'GET' && reads.armed > 0) {
      reads.armed -= 1;
      return { status: 503, body: { error: 'read timed out upstream' } };
    }
    return forward();
  });
  closers.push(platform.close, sandbox.close);
  const w = await prReleaseWorld(`version: 1
models:
  fraud-detector:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${platform.url}" }
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`);
  return { ...w, reads, serving: () => fraudServing(sandbox) };
}

describe("a merged PR's promotion whose read-back fails after the platform took it", () => {
  it('read back once more: promoted and recorded', async () => {
    const w = await promotionWorld();
    w.reads.failing = 1;
    expect(await w.release(7, 'v1', 'v2')).toEqual(['ready', 'promoted']);
    expect(await w.serving()).toEqual({ stable: { version: 'v2' } });
    const history = await w.ports.ledger.history('fraud-detector');
    expect(history.map((e) => `${e.kind} ${e.previous}->${e.version}`)).toEqual(['promotion v1->v2']);
  });

  it('never read back: says the promotion is unconfirmed, not failed; a tick after the reads answer records it', async () => {
    const w = await promotionWorld();
    w.reads.failing = 1_000;
    expect(await w.release(7, 'v1', 'v2')).toEqual(['ready', 'ready']);
    const pending = (await w.ports.ledger.release('fraud-detector')) as Release;
    const comment = renderMarkdown(w.config, { releases: [pending], skipped: [] }, { now: w.clock.now() });
    expect(comment).toContain('## model-gate: ⏳ Merged: promotion pending');
    expect(comment).toContain(
      '- fraud-detector v2: merged; promotion pending: v2 passed its analysis, and the platform accepted its promotion, but no read has confirmed it yet: sandbox fraud-detector at',
    );
    expect(comment).toContain(
      'v2 probably takes all live traffic now; the promotion is recorded once a read confirms it: the next schedule tick promotes it again, which changes no traffic if v2 serves already (or re-run the merge job of PR #7, or use the promote command)',
    );
    expect(comment).not.toContain('promoting it failed');
    expect(await w.ports.ledger.history('fraud-detector')).toEqual([]);

    // The platform answers reads again: a tick after the grace records the promotion.
    w.reads.armed = 0;
    w.reads.failing = 0;
    w.clock.advance(3_600_000);
    await handleSchedule(w.config, w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    expect(await w.ports.ledger.release('fraud-detector')).toMatchObject({ status: 'promoted' });
    expect((await w.ports.ledger.history('fraud-detector')).map((e) => e.version)).toEqual(['v2']);
  });
});
