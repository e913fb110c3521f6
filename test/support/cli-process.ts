import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './actions-runner.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `model-gate <args>` from source, as its own process in `cwd`, the way a user runs it. */
export function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const cli = join(repoRoot, 'test', 'support', 'run-cli.ts');
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', tsx, cli, ...args],
      { cwd, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}
