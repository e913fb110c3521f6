/**
 * `npx tsx bench/analyze-large.ts [--mb 200] [--json] [--keep]`: `model-gate analyze` on a large
 * observation log, the day-long production replay users run. Writes a seeded log of about `--mb`
 * megabytes to the temp folder (four gates interleaved, a step an hour, a look every 10 s), runs
 * `model-gate analyze` on it from source as its own process (stdout counted, not kept), and prints
 * the log's size, the exit code, the seconds (wall clock and CPU: the machine may be shared) and
 * the process's peak RSS. The log is deleted
 * afterwards unless `--keep`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string) => process.argv.indexOf(`--${name}`);
const mb = arg('mb') >= 0 ? Number(process.argv[arg('mb') + 1]) : 200;
if (!(mb > 0)) throw new Error('--mb needs a positive number of megabytes');
const json = arg('json') >= 0;
const keep = arg('keep') >= 0;

const root = join(import.meta.dirname, '..');
const log = join(tmpdir(), `model-gate-bench-analyze-${process.pid}.jsonl`);
const rssFile = `${log}.rss`;

/** A seeded generator (mulberry32): the same log on every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LES = [5, 10, 25, 50, 75, 100, 150, 250, 500, 1000];

/** Cumulative latency buckets for `n` requests around `median` ms. */
function buckets(n: number, median: number): { le: number | '+Inf'; count: number }[] {
  const out: { le: number | '+Inf'; count: number }[] = LES.map((le) => ({
    le,
    count: Math.round(n * (1 - Math.exp((-le / median) * Math.LN2))),
  }));
  out.push({ le: '+Inf', count: n });
  return out;
}

/** Writes the log: every 10 s one look at each of four gates; counts cumulative within the hour's step. */
function writeLog(bytes: number): number {
  const random = seeded(42);
  const fd = openSync(log, 'w');
  const start = Date.UTC(2026, 10, 28, 0, 0);
  let written = 0;
  let lines = 0;
  let chunk: string[] = [];
  for (let look = 0; written < bytes; look++) {
    const step = Math.floor(look / 360);
    const inStep = (look % 360) + 1;
    const time = start + look * 10_000;
    const canary = inStep * (40 + Math.floor(random() * 5));
    const baseline = inStep * (760 + Math.floor(random() * 20));
    const common = { time, step: `hour ${step}`, split: 0.05 };
    chunk.push(
      JSON.stringify({
        ...common,
        gate: 'errors',
        kind: 'ratio',
        canary: { events: Math.round(canary * 0.009), total: canary },
        baseline: { events: Math.round(baseline * 0.01), total: baseline },
      }),
      JSON.stringify({
        ...common,
        gate: 'p99-latency',
        kind: 'latency',
        quantile: 0.99,
        unit: 'ms',
        canary: { buckets: buckets(canary, 48 + random() * 4) },
        baseline: { buckets: buckets(baseline, 50) },
      }),
      JSON.stringify({
        ...common,
        gate: 'conversion',
        kind: 'conversion',
        canary: { conversions: Math.round(canary * 0.031), total: canary },
        baseline: { conversions: Math.round(baseline * 0.03), total: baseline },
      }),
      JSON.stringify({
        ...common,
        gate: 'split',
        kind: 'srm',
        canary: { total: canary },
        baseline: { total: baseline },
      }),
    );
    if (chunk.length >= 4000) {
      const text = `${chunk.join('\n')}\n`;
      written += writeSync(fd, text);
      lines += chunk.length;
      chunk = [];
    }
  }
  if (chunk.length > 0) {
    written += writeSync(fd, `${chunk.join('\n')}\n`);
    lines += chunk.length;
  }
  closeSync(fd);
  return lines;
}

/** `model-gate analyze` from source as its own process: exit code, seconds (wall, CPU), peak RSS (MB), stdout bytes. */
function analyze(): Promise<{
  code: number | null;
  seconds: number;
  cpu: number;
  peakMb: number;
  outBytes: number;
  stderr: string;
}> {
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  const cli = join(root, 'test', 'support', 'run-cli.ts');
  // The child writes its own peak RSS (kB) and CPU time (µs) to a file as it exits: exact, no polling.
  const onExit = `process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(rssFile)}, [process.resourceUsage().maxRSS, process.cpuUsage().user, process.cpuUsage().system].join(' ')))`;
  const preload = `data:text/javascript,${encodeURIComponent(onExit)}`;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--import', preload, cli, 'analyze', log, ...(json ? ['--json'] : [])],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let outBytes = 0;
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    outBytes += b.length;
  });
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 4000) stderr += b.toString();
  });
  return new Promise((done) =>
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const [rss = 0, user = 0, system = 0] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
      done({ code, seconds, cpu: (user + system) / 1e6, peakMb: rss / 1024, outBytes, stderr });
    }),
  );
}

try {
  const lines = writeLog(mb * 1024 * 1024);
  const size = statSync(log).size / 1024 / 1024;
  console.log(`log: ${log}, ${size.toFixed(0)} MB, ${lines} lines, 4 gates`);
  const r = await analyze();
  console.log(
    `model-gate analyze${json ? ' --json' : ''}: exit ${r.code}, ${r.seconds.toFixed(1)} s (${r.cpu.toFixed(1)} s CPU), peak RSS ${r.peakMb.toFixed(0)} MB, stdout ${(r.outBytes / 1024 / 1024).toFixed(0)} MB`,
  );
  if (r.stderr) console.log(`stderr: ${r.stderr.slice(0, 2000)}`);
} finally {
  rmSync(rssFile, { force: true });
  if (!keep) rmSync(log, { force: true });
}
