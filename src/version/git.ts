import { execFile } from 'node:child_process';
import { VersionError } from '../core/errors.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** git wrote more than the caller's `maxBuffer` and was stopped: the caller says what was too large. */
export class GitOutputTooLarge extends VersionError {
  constructor(message: string) {
    super(message);
    this.name = 'VersionError';
  }
}

/**
 * Runs git with an argument array (never a shell) and resolves with its exit code: callers
 * decide what a non-zero code means. Only git missing or unrunnable is an error, and output over
 * `maxBuffer` bytes (default 16 MB) a GitOutputTooLarge.
 */
export function runGit(
  cwd: string,
  args: string[],
  options: { maxBuffer?: number } = {},
): Promise<GitResult> {
  const maxBuffer = options.maxBuffer ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        encoding: 'utf8',
        maxBuffer,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(new GitOutputTooLarge(`git ${args[0]} in ${cwd} wrote more than ${maxBuffer} bytes`));
          return;
        }
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
