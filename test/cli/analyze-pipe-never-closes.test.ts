/**
 * `model-gate analyze` judges a whole log, so it reads a pipe until it closes. A pipe that gives
 * nothing and does not close (`tail -f`, a terminal as /dev/stdin) is said once on stderr, rather
 * than a silent hang; once it closes the log is judged whole. A process from source, on a named
 * pipe, as `<(cmd)` gives one.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { fromSourceArgs } from '../support/source-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-pipe-wait-'));
let proc: ChildProcess | undefined;
afterAll(() => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const look = (time: string) =>
  `${JSON.stringify({
    time,
    gate: 'errors',
    kind: 'ratio',
    canary: { events: 100, total: 10000 },
    baseline: { events: 900, total: 90000 },
  })}\n`;

it('says once that it reads a quiet pipe until it closes, then judges the whole log', async () => {
  const path = join(dir, 'log.pipe');
  execFileSync('mkfifo', [path]);
  const writer = createWriteStream(path).on('error', () => {});
  const node = await fromSourceArgs('test/support/run-cli.ts');
  proc = spawn(process.execPath, [...node, 'analyze', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(proc, 'exit');
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  writer.write(look('2026-11-28T10:00:00Z'));
  const notice = `model-gate analyze: ${path}: reading the pipe until it closes: analyze judges a whole log; Ctrl-C to stop\n`;
  await vi.waitFor(() => expect(stderr).toBe(notice), { timeout: 20_000, interval: 100 });
  expect(stdout).toBe('');
  writer.end(look('2026-11-28T10:01:00Z'));
  const [code] = await exited;
  // Both looks judged, the gate still waiting: exit 4; the notice was said once.
  expect(code).toBe(4);
  expect(stdout).toContain('line 2');
  expect(stderr).toBe(notice);
}, 40_000);
