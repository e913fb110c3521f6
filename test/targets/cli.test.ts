import { describe, expect, it } from 'vitest';
import { runCli, type Watchdog } from '../../src/targets/cli.js';

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

  it('says when the program is not installed', async () => {
    await expect(
      runCli(['kubectl-that-is-not-there', 'get'], { timeoutMs: 5_000 }, watchdog),
    ).rejects.toThrow(
      '`kubectl-that-is-not-there` is not installed or not on PATH: install it in an earlier step of the job (see docs/targets/)',
    );
  });
});
