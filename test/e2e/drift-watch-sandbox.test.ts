import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { startTraffic } from '../../src/sandbox/traffic.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { waitFor } from '../support/prometheus.js';
import {
  killSandboxProcesses,
  type SandboxProcess,
  startSandboxProcess,
} from '../support/sandbox-process.js';

// A schedule tick's drift watch on the real sandbox: the stable model's live scores, read
// through the sandbox metric source, compared window against window.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 90_000 });
const MODEL = 'fraud-detector';
const WINDOW_S = 4;

/**
 * Predictions in each window: the watch's judge needs about a thousand to tell a shift of 1 from
 * chance. Timed windows did not hold them on a loaded machine (about 400 at 600 requests a second
 * asked for: "within chance", so no drift seen though PSI read 0.6).
 */
const PER_WINDOW = 1200;

/**
 * On a sandbox of its own: live traffic for a reference window, then for the watched window
 * shifted by `shift`; then a schedule tick's drift watch of the two. The sandbox counts by a clock
 * the test sets: each population lands in its own window, and each phase lasts until
 * PER_WINDOW predictions were answered, however slowly the machine sends them.
 */
async function watchTwoWindows(shift: number) {
  const at = Math.floor(Date.now() / 1000) * 1000;
  let now = at;
  const sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 8,
    now: () => now,
  });
  try {
    // A second inside the reference window (the WINDOW_S before the watched one), then inside the watched one.
    for (const [seed, by, second] of [
      [21, 0, at - WINDOW_S * 1000 - 1500],
      [22, shift, at - 1500],
    ] as const) {
      now = second;
      const traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 600, seed, shift: by });
      await waitFor(`${PER_WINDOW} predictions answered`, 45_000, async () =>
        traffic.stats().ok >= PER_WINDOW ? true : undefined,
      );
      await traffic.stop();
    }
    // Both windows have ended by the sandbox's clock when the tick reads them.
    now = at + 1000;
    return await tick(sandbox.url, at);
  } finally {
    await sandbox.close();
  }
}

/**
 * A schedule tick's drift watch of MODEL on the sandbox at `url`: the `windowS` before `at` against
 * the `windowS` before that. The tick's clock reads `at`, so a tick that starts late on a busy
 * machine still judges the windows the scenario filled, not later ones holding less of the shift.
 */
async function tick(url: string, at: number, windowS = WINDOW_S) {
  const text = `version: 1
defaults:
  target: { type: sandbox, url: "${url}" }
  metrics: { type: sandbox, url: "${url}" }
  strategy: { type: canary, steps: [50] }
models:
  ${MODEL}:
    source: { file: m.yaml, key: version }
    gates: []
    drift-watch: { window: ${windowS}s, reference: ${windowS}s, max-psi: 0.25 }
`;
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-drift-')), 'ledger.json')),
    reader: memoryFileReader({}),
    clock: { now: () => at, sleep: systemClock.sleep },
    log: { info: () => {}, warn: () => {} },
    targetFor,
    metricsFor,
  };
  const result = await handleSchedule(parseConfig(text, {}).config, ports, { mode: 'tick', maxWaitMs: 1000 });
  return result.drift?.[0];
}

// `model-gate sandbox --traffic --shift` as users run it, as its own process: a drift watch needs
// the population to change between its reference window and its window, which --shift-after does.
// Windows of about a thousand predictions or more: the watch's judge needs them to tell a shift of
// this size (KS distance about 0.2) from chance at its small per-look false-alarm share.
const SHIFT = 2;
const SHIFT_AFTER_S = 5;
const CLI_WINDOW_S = 5;

interface CliSandbox extends SandboxProcess {
  /** Date.now() when it said it was listening (its traffic starts just before). */
  startedAt: number;
}

async function startCliSandbox(extra: string[]): Promise<CliSandbox> {
  const args = ['--port', '0', '--traffic', '500', '--shift', String(SHIFT), ...extra];
  const started = await startSandboxProcess(args);
  return { ...started, startedAt: Date.now() };
}

/** Both sandbox processes, with and without --shift-after (stopped by the tests of them). */
const cli: { delayed?: CliSandbox; fromStart?: CliSandbox } = {};

/** A drift watch of each sandbox process, one window after the shift. */
async function watchCliSandboxes() {
  const [delayed, fromStart] = await Promise.all([
    startCliSandbox(['--shift-after', `${SHIFT_AFTER_S}s`]),
    startCliSandbox([]),
  ]);
  Object.assign(cli, { delayed, fromStart });
  // The sandbox counts in whole seconds, so the watch's windows meet on a second boundary: put
  // it at the one nearest the shift (at most half a second of one window is on the wrong side),
  // and look one window after it.
  const boundary = Math.round((delayed.startedAt + SHIFT_AFTER_S * 1000) / 1000) * 1000;
  const at = boundary + CLI_WINDOW_S * 1000 + 100;
  await new Promise((r) => setTimeout(r, at - Date.now()));
  return Promise.all([tick(delayed.url, at, CLI_WINDOW_S), tick(fromStart.url, at, CLI_WINDOW_S)]);
}

type Report = Awaited<ReturnType<typeof tick>>;
let same: Report;
let shifted: Report;
let cliReports: Report[];

// Each scenario mostly waits for traffic, so the two in-process ones wait side by side, each on a
// sandbox of its own; then the processes, whose own traffic (and start) would
// slow the others' below the rate their windows need. Every test judges its scenario's report.
beforeAll(async () => {
  [same, shifted] = await Promise.all([watchTwoWindows(0), watchTwoWindows(1)]);
  cliReports = await watchCliSandboxes();
});
afterAll(killSandboxProcesses);

describe('the drift watch on the sandbox', () => {
  it('sees no drift while the population stays the same', () => {
    const report = same;
    expect(report).toMatchObject({ model: MODEL, version: 'v1', drifted: false });
    expect(report?.psi).toBeLessThan(0.1);
  });

  it('flags drift when the inputs shift, from the stable model scores alone', () => {
    const report = shifted;
    expect(report).toMatchObject({ model: MODEL, version: 'v1', drifted: true });
    expect(report?.psi).toBeGreaterThan(0.25);
    expect(report?.note).toMatch(
      new RegExp(
        `^${MODEL} v1: prediction drift, PSI [\\d.]+ \\(level 0\\.25\\): the last 4s against the 4s before; to roll back: run the workflow with command: rollback, model: ${MODEL}, to-version: the version to serve, or model-gate run rollback --model ${MODEL} --to-version VERSION$`,
      ),
    );
  });
});

describe('the drift watch on `model-gate sandbox --shift`', () => {
  afterAll(async () => {
    for (const s of [cli.delayed, cli.fromStart]) {
      if (!s || s.proc.exitCode !== null) continue;
      s.proc.kill('SIGTERM');
      const [code] = await s.exited;
      expect({ code, stderr: s.stderr() }).toEqual({ code: 0, stderr: '' });
    }
  });

  it('flags drift with --shift-after: a window after the shift against one before it', () => {
    console.log(`--shift ${SHIFT} --shift-after ${SHIFT_AFTER_S}s: ${cliReports[0]?.note}`);
    expect(cliReports[0]).toMatchObject({ model: MODEL, version: 'v1', drifted: true });
    expect(cliReports[0]?.psi).toBeGreaterThan(0.25);
  });

  it('sees no drift with --shift alone: both windows are shifted from the start', () => {
    console.log(`--shift ${SHIFT}: ${cliReports[1]?.note}`);
    expect(cliReports[1]).toMatchObject({ model: MODEL, version: 'v1', drifted: false });
    expect(cliReports[1]?.psi).toBeLessThan(0.2);
  });
});
