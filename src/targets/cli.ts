import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { getExecOutput } from '@actions/exec';
import { TargetError } from '../core/errors.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the command's standard input (a manifest for `kubectl apply -f -`). */
  input?: string;
  /** The command is killed after this long and the call fails. */
  timeoutMs: number;
  /** Extra environment variables on top of this process's environment. */
  env?: Record<string, string>;
  /**
   * How messages name the command; its whole command line when absent. Set it when an
   * argument may hold a secret (a command target's `${VAR}`), so no argument is ever shown.
   */
  label?: string;
}

// `@actions/exec` has no timeout, so every command runs under a watchdog that stops it when
// the time is up: coreutils `timeout` where it exists (Linux runners; it also stops the
// command's own children), else this small second Node process, itself started without a
// shell. Both exit 124 on a timeout and 127 when the command is not found.
const WATCHDOG = `
const [ms, cmd, ...args] = process.argv.slice(1);
const child = require('node:child_process').spawn(cmd, args, { stdio: 'inherit' });
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 2000).unref();
}, Number(ms));
child.on('error', (err) => {
  clearTimeout(timer);
  process.stderr.write('model-gate-watchdog: failed to run command ' + cmd + ': ' + (err.code === 'ENOENT' ? 'not found on PATH' : err.message) + '\\n');
  process.exit(127);
});
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  if (timedOut) process.exit(124);
  process.exit(code ?? 128 + (require('node:os').constants.signals[signal] ?? 0));
});
`;

const COREUTILS_TIMEOUT = '/usr/bin/timeout';
export type Watchdog = 'coreutils' | 'node';
export const defaultWatchdog = (): Watchdog =>
  process.platform === 'linux' && existsSync(COREUTILS_TIMEOUT) ? 'coreutils' : 'node';

/**
 * Runs `argv` (program and arguments, never through a shell) and returns what it printed,
 * whatever its exit code. Throws a TargetError only when the command could not be run at
 * all or did not finish within `timeoutMs`.
 */
export async function runCli(
  argv: readonly string[],
  options: CliOptions,
  watchdog: Watchdog = defaultWatchdog(),
): Promise<CliResult> {
  const [program] = argv;
  if (!program) throw new Error('model-gate: runCli needs a program');
  const ms = Math.max(1, Math.round(options.timeoutMs));
  const [tool, args] =
    watchdog === 'coreutils'
      ? [COREUTILS_TIMEOUT, ['--kill-after=2s', `${ms / 1000}s`, ...argv]]
      : [process.execPath, ['-e', WATCHDOG, '--', String(ms), ...argv]];
  const started = Date.now();
  const result = await getExecOutput(tool, args, {
    silent: true,
    ignoreReturnCode: true,
    input: options.input === undefined ? undefined : Buffer.from(options.input),
    env: options.env ? ({ ...process.env, ...options.env } as Record<string, string>) : undefined,
  });
  if ((result.exitCode === 124 || result.exitCode === 137) && Date.now() - started >= ms) {
    throw new TargetError(
      `${options.label ?? `\`${commandLine(argv)}\``} did not finish within ${seconds(ms)}; it was stopped (raise the target's timeout if the platform is just slow)`,
    );
  }
  if (result.exitCode === 127 && /failed to run command/.test(result.stderr)) {
    throw new TargetError(
      `\`${program}\` is not installed or not on PATH: install it in an earlier step of the job (see docs/targets/)`,
    );
  }
  return result;
}

/** How a command line reads in a message: arguments with spaces quoted, long ones cut. */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map((arg) => (arg.length > 80 ? `${arg.slice(0, 77)}...` : arg))
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)))
    .join(' ');
}

/**
 * A command's exit code for a message, with the signal that killed it when there was one. The
 * node watchdog exits 128 + the signal's number; coreutils `timeout` dies of the same signal
 * itself, and @actions/exec then gives a null exit code, whatever the type says.
 */
export function exitStatus(code: number | null): string {
  if (code === null) return 'killed by a signal';
  const signal =
    code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
  return signal ? `exit ${code}, ${signal}` : `exit ${code}`;
}

/** The last lines a failed command printed, for an error message. */
export function lastLines(text: string, lines = 4): string {
  const kept = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  return kept.slice(-lines).join(' | ') || '(nothing on stderr)';
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
