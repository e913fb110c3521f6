import { execFile } from 'node:child_process';
import { VersionError } from '../core/errors.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git with an argument array (never a shell) and resolves with its exit code: callers
 * decide what a non-zero code means. Only git missing or unrunnable is an error.
 */
export function runGit(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new VersionError(`cannot run git in ${cwd}: ${error.message}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** The repository's top folder, or undefined when `cwd` is not inside a repository. */
export async function repositoryTop(cwd: string): Promise<string | undefined> {
  const top = await runGit(cwd, ['rev-parse', '--show-toplevel']);
  return top.code === 0 ? top.stdout.trim() : undefined;
}
