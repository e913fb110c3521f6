import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromSourceArgs } from '../support/source-bundle.js';

// `model-gate demo` stopped before its story ends: Ctrl-C, or a reader that goes away
// (`npm run demo | head -1`). Each run from source in its own TMPDIR, so what it leaves is seen.
const started: ChildProcess[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

/** The demo from source, started; resolves once it has printed its first line. */
async function startDemo() {
  const tmp = await mkdtemp(join(tmpdir(), 'model-gate-demo-test-'));
  folders.push(tmp);
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const proc = spawn(process.execPath, [...node, 'demo'], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const onData = (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('\n')) {
        proc.stdout?.off('data', onData);
        resolve(stdout.split('\n')[0] ?? '');
      }
    };
    proc.stdout?.on('data', onData);
    void exited.then(() => reject(new Error(`the demo exited before its first line: ${stderr}`)));
  });
  // The demo's folders only: what else a process may keep in TMPDIR is not the demo's to remove.
  const demoFolders = async () => (await readdir(tmp)).filter((name) => name.startsWith('model-gate-demo-'));
  return { proc, exited, firstLine, stderr: () => stderr, demoFolders };
}

describe('the demo stopped before its story ends', () => {
  // SIGHUP: the terminal it ran in closed.
  it.each([
    ['Ctrl-C', 130, 'SIGINT', 'Ctrl-C \\(SIGINT\\)'],
    ['SIGHUP', 129, 'SIGHUP', 'SIGHUP'],
  ] as const)(
    'on %s exits %i, says what it stopped and leaves no folder behind',
    async (_, exitCode, stop, said) => {
      const demo = await startDemo();
      expect(demo.firstLine).toMatch(/^sandbox serving fraud-detector v1 at http/);
      demo.proc.kill(stop);
      const [code, signal] = await demo.exited;
      expect({ code, signal }).toEqual({ code: exitCode, signal: null });
      expect(demo.stderr()).toMatch(
        new RegExp(
          `^model-gate demo: stopped by ${said} (before its first PR|during PR #1 \\(fraud-detector v1 -> v2\\)): the story did not end; run it again to see it whole\n$`,
        ),
      );
      expect(await demo.demoFolders()).toEqual([]);
    },
    60_000,
  );

  // Not 0, which says both PRs ended as they must: the story did not run. 141, as `run` exits.
  it('exits 141 when its output is closed (| head -1): no EPIPE stack trace, no folder left', async () => {
    const demo = await startDemo();
    // What `head -1` does after the first line: it closes the pipe the demo writes to.
    demo.proc.stdout?.destroy();
    const [code, signal] = await demo.exited;
    expect({ code, signal }).toEqual({ code: 141, signal: null });
    expect(demo.stderr()).toMatch(
      /^model-gate demo: stopped by its output closing \(EPIPE\) [^\n]*: the story did not end/,
    );
    expect(await demo.demoFolders()).toEqual([]);
  }, 60_000);
});
