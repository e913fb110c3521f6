import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { exitStatus, runCli, type Watchdog } from '../../src/targets/cli.js';

const node = process.execPath;

/**
 * A command that leaves its change to a child: the child ignores SIGTERM, writes `started`, and
 * `changed` 1 s after the command is gone; the command itself waits, and exits on SIGTERM.
 */
const changeLeftToAChild = (started: string, changed: string) => {
  const child = `process.on('SIGTERM', () => {});
    const fs = require('node:fs');
    const command = process.ppid;
    fs.writeFileSync(${JSON.stringify(started)}, '');
    const watch = setInterval(() => {
      try { process.kill(command, 0); } catch {
        clearInterval(watch);
        setTimeout(() => fs.writeFileSync(${JSON.stringify(changed)}, ''), 1000);
      }
    }, 50);`;
  return [
    node,
    '-e',
    `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' });
     setInterval(() => {}, 1000);`,
  ];
};

describe.each<Watchdog>(['coreutils', 'node'])('runCli under the %s watchdog', (watchdog) => {
  it('passes arguments and standard input untouched, and returns output and exit code', async () => {
    const echo =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{console.log(JSON.stringify([process.argv.slice(1),s]));process.exit(3)})";
    const result = await runCli(
      [node, '-e', echo, '--', 'a b', '$(id)', ''],
      { timeoutMs: 10_000, input: '{"x":1}' },
      watchdog,
    );
    expect(result).toEqual({
      exitCode: 3,
      stdout: `${JSON.stringify([['a b', '$(id)', ''], '{"x":1}'])}\n`,
      stderr: '',
    });
  });

  it('stops a command that runs too long', async () => {
    await expect(
      runCli([node, '-e', 'setInterval(()=>{},1000)'], { timeoutMs: 300 }, watchdog),
    ).rejects.toThrow(/did not finish within 300ms; it was stopped/);
  });

  it('stops what a timed-out command started: a child it left can no longer change the platform', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-cli-leftover-'));
    const [started, changed] = [join(dir, 'started'), join(dir, 'changed')];
    await expect(runCli(changeLeftToAChild(started, changed), { timeoutMs: 1500 }, watchdog)).rejects.toThrow(
      /did not finish within 1s500ms; it was stopped/,
    );
    // Past the moment the child would have made its change.
    await new Promise((r) => setTimeout(r, 1_500));
    expect([existsSync(started), existsSync(changed)]).toEqual([true, false]);
  }, 15_000);

  it('says a command that outlives SIGTERM did not finish in time, not that a signal killed it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-cli-outlives-'));
    const deaf = `process.on('SIGTERM', () => {}); require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'deaf'))}, ''); setInterval(() => {}, 1000)`;
    await expect(
      runCli(
        [node, '-e', deaf],
        { timeoutMs: 1000, label: 'the apply command `node` (2 arguments)' },
        watchdog,
      ),
    ).rejects.toThrow(
      "the apply command `node` (2 arguments) did not finish within 1s; it was stopped (raise the target's timeout if the platform is just slow)",
    );
    // It did ignore SIGTERM, so it took the SIGKILL 2 s later.
    expect(existsSync(join(dir, 'deaf'))).toBe(true);
  }, 15_000);

  it('names a command by its label, when given, instead of its arguments', async () => {
    const err = await runCli(
      [node, '-e', 'setInterval(()=>{},1000)', '--', 'TOKEN_s3cr3t'],
      { timeoutMs: 300, label: 'the apply command `node` (4 arguments)' },
      watchdog,
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "the apply command `node` (4 arguments) did not finish within 300ms; it was stopped (raise the target's timeout if the platform is just slow)",
    );
  });

  it('says when the program is not installed', async () => {
    await expect(
      runCli(['kubectl-that-is-not-there', 'get'], { timeoutMs: 5_000 }, watchdog),
    ).rejects.toThrow(
      '`kubectl-that-is-not-there` is not installed or not on PATH: install it in an earlier step of the job (see docs/targets/)',
    );
  });
});

describe("a failed command's stderr in the log", () => {
  it('is not logged when the command printed nothing there', async () => {
    let log = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      log += String(chunk);
      return true;
    });
    try {
      const result = await runCli([node, '-e', 'process.exit(1)'], {
        timeoutMs: 10_000,
        label: 'the apply command',
      });
      expect(result.exitCode).toBe(1);
    } finally {
      write.mockRestore();
    }
    expect(log).toBe('');
  });
});

describe('exitStatus', () => {
  it('gives the exit code, and the signal behind a code above 128', () => {
    expect(exitStatus(1)).toBe('exit 1');
    expect(exitStatus(75)).toBe('exit 75');
    expect(exitStatus(143)).toBe('exit 143, SIGTERM');
    expect(exitStatus(137)).toBe('exit 137, SIGKILL');
    expect(exitStatus(255)).toBe('exit 255');
    expect(exitStatus(null)).toBe('killed by a signal');
  });
});
