import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fromSourceArgs } from './source-bundle.js';

/** A `model-gate run` process started by startRunUntil, still running. */
export interface RunningCli {
  kill(signal: NodeJS.Signals): void;
  /** Resolves with [exit code, signal] once the process ends. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  stdout(): string;
  stderr(): string;
}

/**
 * `model-gate <args>` from source as its own process in `cwd` (as runCli runs it), resolved once its
 * stdout shows `until` (rejected if it ends first): a run to stop mid-analysis.
 */
export async function startRunUntil(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  until: string,
): Promise<RunningCli> {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const proc = spawn(process.execPath, [...node, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stdout = '';
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes(until)) resolve();
    });
    void exited.then(() => reject(new Error(`the run ended before "${until}": ${stdout}${stderr}`)));
  });
  return { kill: (signal) => proc.kill(signal), exited, stdout: () => stdout, stderr: () => stderr };
}
