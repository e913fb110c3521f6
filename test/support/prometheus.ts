/**
 * A real Prometheus for tests: the Debian package's binaries (scripts/install-prometheus.sh
 * puts them in .tmp/prometheus), started on a free 127.0.0.1 port with a temporary config and
 * TSDB, and stopped by its PID.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

/** The binaries from .tmp/prometheus or PATH; a missing install says how to get one. */
export function findPrometheus(): PrometheusBinaries {
  const dirs = [
    join(repoRoot, '.tmp', 'prometheus', 'usr', 'bin'),
    ...(process.env.PATH ?? '').split(delimiter),
  ];
  for (const dir of dirs) {
    const prometheus = join(dir, 'prometheus');
    const promtool = join(dir, 'promtool');
    if (dir && existsSync(prometheus) && existsSync(promtool)) return { prometheus, promtool };
  }
  throw new Error(
    'Prometheus is not installed: run scripts/install-prometheus.sh (unpacks the Debian package into .tmp/prometheus)',
  );
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  interval?: string;
  metricsPath?: string;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  version: string;
  /** What Prometheus logged, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** A scratch folder for the config (and the TSDB unless `tsdbDir` is given). */
  dir: string;
  tsdbDir?: string;
  targets?: ScrapeTarget[];
}

/** Starts Prometheus and resolves once /-/ready answers 200. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const bins = findPrometheus();
  await mkdir(opts.dir, { recursive: true });
  const configFile = join(opts.dir, 'prometheus.yml');
  await writeFile(configFile, configText(opts.targets ?? []));
  const tsdb = opts.tsdbDir ?? join(opts.dir, 'data');
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      bins.prometheus,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=30d',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: string[] = [];
    const keep = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.length > 200) log.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitReady(url, child, 15_000);
      const version = await buildVersion(url);
      return {
        url,
        pid: child.pid as number,
        version,
        logs: () => log.join(''),
        stop: () => stopChild(child),
      };
    } catch (err) {
      await stopChild(child);
      lastError = new Error(`${(err as Error).message}\n${log.join('')}`);
    }
  }
  throw lastError ?? new Error('Prometheus did not start');
}

function configText(targets: ScrapeTarget[]): string {
  const lines = ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:'];
  if (targets.length === 0) lines.pop();
  for (const t of targets) {
    lines.push(
      `  - job_name: ${JSON.stringify(t.job)}`,
      `    scrape_interval: ${t.interval ?? '1s'}`,
      `    scrape_timeout: ${t.interval ?? '1s'}`,
      `    metrics_path: ${JSON.stringify(t.metricsPath ?? '/metrics')}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(t.address)}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(50);
  }
  throw new Error(`prometheus at ${url} not ready within ${timeoutMs} ms`);
}

async function buildVersion(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/status/buildinfo`);
  const body = (await res.json()) as { data?: { version?: string } };
  return body.data?.version ?? 'unknown';
}

/** SIGTERM by PID, then SIGKILL if it has not exited within 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** Writes TSDB blocks from OpenMetrics text (which must end with `# EOF`) into `tsdbDir`. */
export async function backfillOpenMetrics(
  openMetrics: string,
  scratch: string,
  tsdbDir: string,
): Promise<void> {
  const { promtool } = findPrometheus();
  await mkdir(tsdbDir, { recursive: true });
  const input = join(scratch, 'backfill.om');
  await writeFile(input, openMetrics);
  try {
    await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, tsdbDir]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`promtool failed: ${e.stderr || e.message}`);
  }
}

/**
 * A test file's Prometheus over the samples `openMetrics()` gives (backfilled with promtool), started
 * once before the file's tests and stopped, its folder removed, after them: its `url`, and `dir`,
 * a scratch folder of the file's own.
 */
export function useBackfilledPrometheus(
  prefix: string,
  openMetrics: () => string,
): { readonly url: string; readonly dir: string } {
  let dir: string | undefined;
  let prom: RunningPrometheus | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    await backfillOpenMetrics(openMetrics(), dir, join(dir, 'tsdb'));
    prom = await startPrometheus({ dir, tsdbDir: join(dir, 'tsdb') });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const started = () => {
    if (!prom || !dir) throw new Error('the backfilled Prometheus is not started: use it inside a test');
    return { url: prom.url, dir };
  };
  return {
    get url() {
      return started().url;
    },
    get dir() {
      return started().dir;
    },
  };
}

/** Polls `check` every 100 ms until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}
