import { execFile } from 'node:child_process';
import { fromSourceArgs } from './source-bundle.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `model-gate <args>` from source, as its own process in `cwd`, the way a user runs it. */
export async function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...node, ...args],
      { cwd, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}
