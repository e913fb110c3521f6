import { describe, expect, it } from 'vitest';
import { exitStatus, runCli, type Watchdog } from '../../src/targets/cli.js';

const node = process.execPath;

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
