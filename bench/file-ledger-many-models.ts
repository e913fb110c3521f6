/**
 * `npx tsx bench/file-ledger-many-models.ts [--models 50,150,700] [--limit 60] [--json] [--keep]`: the file
 * ledger of a config with many models, as `model-gate run status` and `run tick` use it. For each
 * count N, writes a ledger file of N analysing releases (two gates, each with a full series, two
 * phases: what a release an hour in holds), then times through the real code:
 * - reads: N `release(model)` calls on one fileLedger, as a run reads each model's release;
 * - status: the `status` command over the N models (handleCommand, a target that answers at once);
 * - saves: N `saveRelease` calls, each model's release one phase on, as a tick over them writes.
 * Prints seconds (wall clock: the machine may be shared). A measure still running after `--limit`
 * seconds stops there and prints how far it got. The files are deleted afterwards unless `--keep`.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { FakeClock } from '../src/core/clock.js';
import { fileLedger } from '../src/ledger/file-ledger.js';
import type { Ledger } from '../src/ledger/ledger.js';
import { handleCommand } from '../src/release/commands.js';
import type { Ports } from '../src/release/ports.js';
import { SERIES_POINTS } from '../src/release/series.js';
import type { GateState, Release } from '../src/release/types.js';
import { memoryFileReader } from '../src/version/changed-models.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const counts = (arg('models') ?? '50,150,700').split(',').map(Number);
if (!counts.every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--models needs counts, e.g. 50,150,700');
const limitS = Number(arg('limit') ?? 60);
if (!(limitS > 0)) throw new Error('--limit needs a positive number of seconds');
const json = process.argv.includes('--json');
const keep = process.argv.includes('--keep');

const name = (i: number) => `model-${String(i).padStart(4, '0')}`;
const START = Date.UTC(2026, 10, 28);

/** A gate an hour into its analysis: a full series, its last look. */
function gate(gateName: string, query: number): GateState {
  const series: [number, number, number][] = [];
  for (let k = 0; k < SERIES_POINTS; k++) series.push([k * 112, 0.004 + query * 1e-4 + k * 1e-5, 0.005]);
  const look = { at: START + 3_600_000, verdict: 'pass' as const, canary: 0.0041, baseline: 0.005 };
  const evidence = { method: 'sequential', effect: -0.0009, interval: [-0.002, 0.0003] as [number, number] };
  return {
    name: gateName,
    kind: 'ratio',
    verdict: 'pending',
    failures: 0,
    inconclusives: 2,
    consecutiveErrors: 0,
    last: {
      ...look,
      canaryRequests: 20_000,
      baselineRequests: 90_000,
      evidence: { ...evidence, eValue: 3.2 },
    },
    lastUsable: { ...look, canaryRequests: 20_000, baselineRequests: 90_000 },
    series,
  };
}

function release(i: number): Release {
  return {
    model: name(i),
    from: 'v1',
    to: 'v2',
    pr: 7,
    headSha: 'a'.repeat(40),
    status: 'analysing',
    phase: 1,
    phaseStartedAt: START + 1_800_000,
    startedAt: START,
    updatedAt: START + 3_600_000,
    gates: [gate('errors', i), gate('latency', i + 1)],
    phases: [
      { name: 'canary 10%', weight: 10, startedAt: START, endedAt: START + 1_800_000, outcome: 'passed' },
      { name: 'canary 50%', weight: 50, startedAt: START + 1_800_000 },
    ],
    reason: 'analysing at 50%',
  };
}

function configYaml(n: number): string {
  const models = Array.from(
    { length: n },
    (_, i) =>
      `  ${name(i)}:\n    source: { file: m${i}.yaml, key: version }\n    gates: [{ name: errors, kind: threshold, query: error-rate, max: 0.02 }]\n`,
  );
  return `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 30m, min-requests: 100, interval: 10s }
models:
${models.join('')}`;
}

class OverLimit extends Error {}

/** Seconds `work` took, or how far it got when it ran past the limit. */
async function timed(total: number, work: (step: () => void) => Promise<unknown>): Promise<string> {
  const t0 = performance.now();
  let done = 0;
  const step = () => {
    done++;
    if (performance.now() - t0 > limitS * 1000) throw new OverLimit();
  };
  try {
    await work(step);
  } catch (err) {
    if (err instanceof OverLimit) return `>${limitS} s (${done} of ${total} done)`;
    throw err;
  }
  return `${((performance.now() - t0) / 1000).toFixed(3)} s`;
}

async function measure(n: number) {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-bench-ledger-'));
  const path = join(dir, 'ledger.json');
  try {
    const releases = Object.fromEntries(Array.from({ length: n }, (_, i) => [name(i), release(i)]));
    await writeFile(path, `${JSON.stringify({ version: 1, releases, history: [] }, null, 2)}\n`);
    const bytes = (await stat(path)).size;

    const reads = await timed(n, async (step) => {
      const ledger = fileLedger(path);
      for (let i = 0; i < n; i++) {
        if ((await ledger.release(name(i)))?.model !== name(i)) throw new Error(`${name(i)} not read back`);
        step();
      }
    });

    const { config } = parseConfig(configYaml(n), {});
    const status = await timed(n, async (step) => {
      const ledger = fileLedger(path);
      // Counts each model the status command reaches; stops it past the limit.
      const counting: Ledger = {
        ...ledger,
        canaryHolder: async (model) => {
          step();
          return ledger.canaryHolder(model);
        },
      };
      const ports: Ports = {
        ledger: counting,
        reader: memoryFileReader({}),
        clock: new FakeClock(),
        log: { info: () => {}, warn: () => {} },
        targetFor: () => ({
          description: 'bench target',
          read: async () => ({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } }),
          write: async () => {},
        }),
        metricsFor: () => {
          throw new Error('status reads no metrics');
        },
      };
      const result = await handleCommand(config, 'status', { dryRun: false }, ports);
      if (result.releases.length !== n)
        throw new Error(`status listed ${result.releases.length} of ${n} releases`);
    });

    const saves = await timed(n, async (step) => {
      const ledger = fileLedger(path);
      for (let i = 0; i < n; i++) {
        const read = await ledger.release(name(i));
        if (!read) throw new Error(`${name(i)} not read back`);
        await ledger.saveRelease({ ...read, updatedAt: read.updatedAt + 10_000, reason: 'still analysing' });
        step();
      }
    });
    return {
      models: n,
      fileKiB: Math.round(bytes / 1024),
      reads,
      status,
      saves,
      ...(keep && { ledger: path }),
    };
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

const rows = [];
for (const n of counts) {
  const row = await measure(n);
  rows.push(row);
  if (!json)
    console.log(
      `${n} models (ledger ${row.fileKiB} KiB): ${n} reads ${row.reads}; status ${row.status}; ${n} saves ${row.saves}`,
    );
}
if (json) console.log(JSON.stringify(rows, null, 2));
