/**
 * `npx tsx bench/file-ledger-saves.ts [--saves 100,300,700,2000] [--models 20] [--history 200] [--limit 60] [--json]`:
 * the file ledger of one long release, as `model-gate run` (watch mode) saves it at each poll.
 * For each count N, starts from a ledger of `--models` other models' finished releases and
 * `--history` promotions (what a ledger some months old holds), then saves N times through one
 * fileLedger the release of one model, each save one look on: every gate's last look and series
 * (withLook, capped at SERIES_POINTS), and one step further every 10 looks (a linear rollout of many
 * steps, its phases growing). Prints seconds per N and the file's size at the end (wall clock: the
 * machine may be shared). A measure still running after `--limit` seconds stops and says how far it got.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileLedger } from '../src/ledger/file-ledger.js';
import { withLook } from '../src/release/series.js';
import type { GateState, Measurement, Release } from '../src/release/types.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const counts = (arg('saves') ?? '100,300,700,2000').split(',').map(Number);
if (!counts.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--saves needs counts, e.g. 100,700');
const others = Number(arg('models') ?? 20);
const entries = Number(arg('history') ?? 200);
const limitS = Number(arg('limit') ?? 60);
if (!(limitS > 0)) throw new Error('--limit needs a positive number of seconds');
const json = process.argv.includes('--json');

const START = Date.UTC(2026, 10, 28);
const POLL_MS = 10_000;

const gate = (name: string): GateState => ({
  name,
  kind: 'ratio',
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
});

function release(model: string, status: Release['status']): Release {
  return {
    model,
    from: 'v1',
    to: 'v2',
    pr: 7,
    headSha: 'a'.repeat(40),
    status,
    phase: 0,
    phaseStartedAt: START,
    startedAt: START,
    updatedAt: START,
    gates: [gate('errors'), gate('latency')],
    phases: [{ name: 'step 1%', weight: 1, startedAt: START }],
    reason: 'analysing at 1%',
  };
}

/** The release one poll on: each gate's look recorded, and a step further every 10th poll. */
function polled(r: Release, poll: number): Release {
  const at = START + poll * POLL_MS;
  const look: Measurement = {
    at,
    verdict: 'inconclusive',
    canary: 0.004 + (poll % 7) * 1e-4,
    baseline: 0.005,
    canaryRequests: 100 * poll,
    baselineRequests: 900 * poll,
    evidence: { method: 'sequential', effect: -0.001, interval: [-0.002, 0.0003], eValue: 1.5 },
  };
  const gates = r.gates.map((g) => ({
    ...withLook(g, look, r.startedAt),
    last: look,
    lastUsable: look,
    inconclusives: g.inconclusives + 1,
  }));
  if (poll % 10 !== 0) return { ...r, gates, updatedAt: at };
  const phase = r.phase + 1;
  const phases = r.phases.map((p, i) =>
    i === r.phase ? { ...p, endedAt: at, outcome: 'passed' as const } : p,
  );
  const weight = Math.min(100, phase + 1);
  phases.push({ name: `step ${weight}%`, weight, startedAt: at });
  return { ...r, gates, phases, phase, phaseStartedAt: at, updatedAt: at, reason: `analysing at ${weight}%` };
}

class OverLimit extends Error {}

async function measure(n: number) {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-bench-saves-'));
  const path = join(dir, 'ledger.json');
  try {
    const releases = Object.fromEntries(
      Array.from({ length: others }, (_, i) => [`model-${i}`, release(`model-${i}`, 'promoted')]),
    );
    const history = Array.from({ length: entries }, (_, i) => ({
      model: `model-${i % Math.max(others, 1)}`,
      kind: 'promotion',
      version: `v${i + 2}`,
      previous: `v${i + 1}`,
      at: START - (entries - i) * 86_400_000,
      pr: i + 1,
      summary: 'promoted after 2 steps',
    }));
    await writeFile(path, `${JSON.stringify({ version: 1, releases, history }, null, 2)}\n`);
    const ledger = fileLedger(path);
    let current = release('fraud', 'analysing');
    const t0 = performance.now();
    let done = 0;
    try {
      for (let poll = 1; poll <= n; poll++) {
        current = polled(current, poll);
        await ledger.saveRelease(current);
        done++;
        if (performance.now() - t0 > limitS * 1000) throw new OverLimit();
      }
    } catch (err) {
      if (!(err instanceof OverLimit)) throw err;
    }
    const seconds = (performance.now() - t0) / 1000;
    const read = await fileLedger(path).release('fraud');
    if (read?.updatedAt !== current.updatedAt) throw new Error('the last save was not read back');
    const kib = Math.round((await stat(path)).size / 1024);
    return {
      saves: n,
      done,
      seconds: Number(seconds.toFixed(3)),
      msPerSave: Number(((seconds * 1000) / done).toFixed(2)),
      kib,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows = [];
for (const n of counts) {
  const row = await measure(n);
  rows.push(row);
  if (!json) {
    const took = row.done < n ? `>${limitS} s (${row.done} of ${n} done)` : `${row.seconds.toFixed(3)} s`;
    console.log(`${n} saves: ${took}, ${row.msPerSave} ms a save; ledger ${row.kib} KiB at the end`);
  }
}
if (json) console.log(JSON.stringify(rows, null, 2));
