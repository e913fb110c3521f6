/**
 * `model-gate analyze` keeps a piped log's copy and a long report's looks in folders under TMPDIR,
 * which may hold production data: however it ends (Ctrl-C, SIGTERM, SIGHUP, a reader that goes
 * away), it leaves none of them behind. Each run is its own process from source, in its own TMPDIR,
 * which must be empty afterwards.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream, watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fromSourceArgs } from '../support/source-bundle.js';

const started: ChildProcess[] = [];
const folders: string[] = [];
const writers: WriteStream[] = [];
afterAll(async () => {
  for (const writer of writers) writer.destroy();
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

/** `looks` looks of 4 gates, every one waiting (the canary's error rate is the baseline's): exit 4. */
function log(looks: number): string {
  const t0 = Date.UTC(2026, 10, 28, 10);
  const lines = Array.from({ length: looks }, (_, i) =>
    JSON.stringify({
      time: new Date(t0 + i * 1000).toISOString(),
      gate: `errors-${i % 4}`,
      kind: 'ratio',
      canary: { events: 100, total: 10000 },
      baseline: { events: 900, total: 90000 },
    }),
  );
  return `${lines.join('\n')}\n`;
}

/** A folder of the test's own, outside the TMPDIR of the process under test. */
async function ownFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-analyze-temp-log-'));
  folders.push(dir);
  return dir;
}

/**
 * A named pipe to analyze, as `<(zcat day.jsonl.gz)` or `cat log | model-gate analyze /dev/stdin`
 * give it one, and the stream that writes it (opened once the process opens the pipe).
 */
async function pipedLog() {
  const path = join(await ownFolder(), 'log.pipe');
  execFileSync('mkfifo', [path]);
  // A run stopped before it read it all closes the pipe: EPIPE here, which is no test's concern.
  const writer = createWriteStream(path).on('error', () => {});
  writers.push(writer);
  return { path, writer };
}

/** `model-gate analyze <args>` from source, with a fresh TMPDIR. */
async function startAnalyze(args: string[]) {
  const tmp = await mkdtemp(join(tmpdir(), 'model-gate-analyze-temp-test-'));
  folders.push(tmp);
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const proc = spawn(process.execPath, [...node, 'analyze', ...args], {
    // The bundle is built here, not by the process: its TMPDIR holds only what model-gate leaves.
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const ended = async () => {
    const [code, signal] = await exited;
    // A pipe quiet for 3 s is said to be read until it closes (a loaded machine may take that long).
    const said = stderr.replace(/^model-gate analyze: .*: reading the pipe until it closes: .*\n/m, '');
    return { code, signal, stderr: said, left: await readdir(tmp) };
  };
  return { proc, tmp, ended };
}

describe('model-gate analyze leaves no temporary files', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'stopped by %s while it reads a piped log: ends by the signal, the copy of the log removed',
    async (signal) => {
      const piped = await pipedLog();
      const run = await startAnalyze([piped.path]);
      const first = log(8);
      piped.writer.write(first);
      // The first pass has copied what came so far and waits for the rest of the pipe.
      const copy = await vi.waitFor(
        async () => {
          const [dir] = await readdir(run.tmp);
          const text = await readFile(join(run.tmp, dir as string, 'log.jsonl'), 'utf8');
          if (text !== first) throw new Error('not copied yet');
          return dir;
        },
        { timeout: 20_000, interval: 20 },
      );
      expect(copy).toMatch(/^model-gate-analyze-pipe-/);
      run.proc.kill(signal);
      // Ended by the signal, as without a listener (a shell says 128 + its number), the pipe still open.
      expect(await run.ended()).toEqual({ code: null, signal, stderr: '', left: [] });
    },
    30_000,
  );

  it('stopped by Ctrl-C while it writes a long report: its spooled looks removed', async () => {
    // 16,000 looks print about 13 MB as JSON: past the 8 MB held in memory, the rest goes to files.
    const file = join(await ownFolder(), 'long.jsonl');
    await writeFile(file, log(16_000));
    const run = await startAnalyze([file, '--json']);
    run.proc.stdout?.resume();
    // Held still the moment its spool folder appears, so that the signal comes while it exists.
    const spooled = new Promise<string>((resolve) => {
      const watcher = watch(run.tmp, (_event, name) => {
        if (!name?.startsWith('model-gate-analyze-spool-')) return;
        run.proc.kill('SIGSTOP');
        watcher.close();
        resolve(name);
      });
    });
    const dir = await spooled;
    expect(await readdir(run.tmp)).toEqual([dir]);
    run.proc.kill('SIGINT');
    run.proc.kill('SIGCONT');
    expect(await run.ended()).toEqual({ code: null, signal: 'SIGINT', stderr: '', left: [] });
  }, 60_000);

  it('stops quietly when its reader goes away (| head): exit code of the outcome, no file left', async () => {
    // A piped log (copied) whose report is spooled: both folders exist as the report is written.
    const piped = await pipedLog();
    const run = await startAnalyze([piped.path, '--json']);
    piped.writer.end(log(16_000));
    await once(run.proc.stdout as NodeJS.ReadableStream, 'data');
    // What `head -c` does once it has its bytes: it closes the pipe the report goes to.
    run.proc.stdout?.destroy();
    expect(await run.ended()).toEqual({ code: 4, signal: null, stderr: '', left: [] });
  }, 60_000);
});
