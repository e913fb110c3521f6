import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { requestText } from '../../src/core/http-json.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { memoryFileReader } from '../../src/version/changed-models.js';

// A shadow slower than the traffic: the sandbox runs one copy at a time and drops the rest, so
// the shadow's gates judge a small part of the mirrored requests. The report must say so, and a
// gate must be able to bound the drops.
const MODEL = 'fraud-detector';
const yaml = (gates: string[]) => `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: shadow, share: 100, duration: 3s, step-duration: 20s, min-requests: 60, interval: 500ms }
    gates:
${gates.map((g) => `      - ${g}`).join('\n')}
`;
const AGREEMENT = '{ name: agreement, kind: agreement, min: 0.9 }';
const ERRORS = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';
const DROPS = '{ name: drops, kind: ratio, events: dropped, total: offered, max-increase: 10% }';

let sandbox: Sandbox;
let traffic: TrafficGenerator;
const sha = (c: string) => c.repeat(40);

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 5,
    mirrorMaxInFlight: 1,
  });
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 300, seed: 9 });
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
});

async function shadowOf(gates: string[]) {
  const config = parseConfig(yaml(gates), { SANDBOX_URL: sandbox.url }).config;
  const ledger = join(await mkdtemp(join(tmpdir(), 'model-gate-drops-')), 'ledger.json');
  const ports: Ports = {
    ledger: fileLedger(ledger),
    reader: memoryFileReader({
      [sha('a')]: { 'model.yaml': 'version: v1' },
      [sha('b')]: { 'model.yaml': 'version: v2' },
    }),
    clock: systemClock,
    log: { info: () => {}, warn: () => {} },
    targetFor,
    metricsFor,
  };
  const event = { action: 'opened', number: 3, baseSha: sha('a'), headSha: sha('b'), merged: false } as const;
  const result = await handlePullRequest(config, event, ports, {
    mode: 'watch',
    maxWaitMs: 20_000,
    dryRun: false,
  });
  return { release: result.releases[0], text: renderTerminal(config, result, Date.now()), ledger };
}

describe('a shadow whose mirror drops most copies', () => {
  it('passes its gates on the copies run, and the report says how many were dropped', async () => {
    const { release, text, ledger } = await shadowOf([AGREEMENT, ERRORS]);
    expect(release?.status).toBe('ready');
    const m = /mirror 100% \(answers never returned\); ([\d,]+) copies run, ([\d,]+) dropped \((\d+)%\)/.exec(
      text,
    );
    expect(m, text).not.toBeNull();
    const [run, dropped, percent] = [m?.[1], m?.[2], m?.[3]].map((x) => Number(x?.replace(/,/g, '')));
    expect(dropped).toBeGreaterThan(0);
    expect(percent).toBe(Math.round((100 * (dropped as number)) / ((run as number) + (dropped as number))));
    // The copies run are the ones the gates judged.
    expect(release?.gates.map((g) => g.last?.canaryRequests)).toContain(run);
    // Kept in the ledger, so a later run's report (a schedule tick's) says it too.
    const stored = await fileLedger(ledger).release(MODEL);
    expect(stored?.gates.map((g) => g.last?.dropped)).toContain(dropped);
  });

  it('answers a dropped count query, which a ratio gate bounds: the drops roll it back', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    const window = { model: MODEL, version: 'v1', since: Date.now() - 3000, until: Date.now() };
    // The stable slot answers callers: it drops nothing, and its requests are all it was offered.
    expect(await source.count?.('dropped', { ...window, slot: 'stable' })).toBe(0);
    expect(await source.count?.('offered', { ...window, slot: 'stable' })).toBe(
      await source.count?.('requests', { ...window, slot: 'stable' }),
    );

    const { release, text } = await shadowOf([AGREEMENT, DROPS]);
    expect(release?.status).toBe('failed');
    expect(release?.reason).toMatch(/^drops: [\d.]+% on v2 vs 0(\.0+)?% on v1/);
    expect(text).toMatch(/\d+ copies run, [\d,]+ dropped \(\d+%\)/);
    const prometheus = (await requestText('GET', `${sandbox.url}/metrics`)).text;
    expect(prometheus).toMatch(
      /^model_gate_shadow_dropped_total\{model="fraud-detector",slot="shadow",version="v2"\} [1-9]\d*$/m,
    );
  });
});
