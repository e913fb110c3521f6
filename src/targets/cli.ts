import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { TargetError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { clip } from '../core/text.js';
import { limitText } from './change-deadline.js';

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
  /**
   * Set when a traffic change's deadline, not the target's `timeout`, set `timeoutMs` (`the time
   * left of the traffic change's settle-timeout (10m)`): a stopped command's message says so, and
   * to raise settle-timeout.
   */
  cutBy?: string;
  /** Extra environment variables on top of this process's environment. */
  env?: Record<string, string>;
  /**
   * How messages name the command; its whole command line when absent. Set it when an
   * argument may hold a secret (a command target's `${VAR}`), so no argument is ever shown.
   */
  label?: string;
}

// Every command runs under a watchdog that stops it when the time is up: coreutils `timeout`
// where it exists (Linux runners; it also stops the command's own children), else this small
// second Node process, itself started without a shell. Both exit 124 on a timeout and 127 when
// the command is not found. After a timeout, what is left of the command's process group is
// SIGKILLed (spawnWatched): `timeout` exits as soon as the command does, never SIGKILLing a child
// that ignored its SIGTERM, and the node watchdog signals the command alone.
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
  const { timedOut, ...result } = await spawnWatched(tool, args, options, ms);
  if (timedOut) {
    const [cut, field] = options.cutBy ? [`, ${options.cutBy}`, 'settle-timeout'] : ['', 'timeout'];
    throw new TargetError(
      `${options.label ?? `\`${commandLine(argv)}\``} did not finish within ${limitText({ ms, cutBy: options.cutBy })}${cut}; it was stopped (raise the target's ${field} if the platform is just slow)`,
    );
  }
  if (result.exitCode === 127 && /failed to run command/.test(result.stderr)) {
    throw new TargetError(
      `\`${program}\` is not installed or not on PATH: install it in an earlier step of the job (see docs/targets/)`,
    );
  }
  if (result.exitCode !== 0) logStderr(options.label ?? `\`${commandLine(argv)}\``, result);
  return result;
}

// The commands under way, each the leader of its own process group (coreutils `timeout` makes one
// itself; the node watchdog is started detached), so that stopAll reaches the command and what it
// started. Windows has no process groups: there only the watchdog is stopped.
const GROUPS = process.platform !== 'win32';
const live = new Set<ChildProcess>();
let stopping = false;

/** After the command exits, how long its output may stay open (a child it left holding it). */
const OUTPUT_CLOSE_MS = 10_000;

/** A command's result, and whether the watchdog stopped it. */
type Watched = CliResult & { timedOut: boolean };

/**
 * Did the watchdog stop the command at `ms`? It exits 124 then (`timeout` 137 when it had to
 * SIGKILL the command and outlived it). Coreutils `timeout` SIGKILLs its whole group when the
 * command outlives SIGTERM, so it dies of it too: a SIGKILL once the time is up is a timeout as
 * well. Any of these sooner is the command's own doing.
 */
const stoppedByWatchdog = (
  code: number | null,
  signal: NodeJS.Signals | null,
  elapsedMs: number,
  ms: number,
) => (code === 124 || code === 137 || signal === 'SIGKILL') && elapsedMs >= ms;

/**
 * `tool` with `args`, no shell: its exit code (null when a signal ended it), what it printed, and
 * whether the watchdog stopped it at `ms`. Once stopAll was called it never settles and starts
 * nothing: the process is on its way out, and no result of a stopped command may lead to another
 * platform change.
 */
function spawnWatched(tool: string, args: string[], options: CliOptions, ms: number): Promise<Watched> {
  if (stopping) return new Promise(() => {});
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      detached: GROUPS,
      windowsHide: true,
      env: options.env ? { ...process.env, ...options.env } : undefined,
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    let code: number | null = null;
    let timedOut = false;
    let late: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(late);
      live.delete(child);
      if (!stopping) resolve({ exitCode: code, stdout, stderr, timedOut } as Watched);
    };
    child.on('error', (err) => {
      live.delete(child);
      reject(new Error(`model-gate: could not start ${tool}: ${err.message}`));
    });
    child.on('exit', (c, signal) => {
      code = c;
      timedOut = stoppedByWatchdog(c, signal, Date.now() - started, ms);
      // What the stopped command started is still in its group: a child that ignored SIGTERM, or
      // one it left behind when it exited on it (which `timeout` then never SIGKILLs), would change
      // the platform after the rollback that follows.
      if (timedOut) signalGroup(child, 'SIGKILL');
      // Not waited for forever: a command may leave a child behind holding its output.
      late = setTimeout(done, OUTPUT_CLOSE_MS);
    });
    child.on('close', done);
    // A command that exits without reading its input: its exit code says what happened.
    child.stdin.on('error', () => {});
    // Ended only when there is input: as before, a command given none is left its stdin open.
    if (options.input) child.stdin.end(options.input);
  });
}

/**
 * For a runner of its own (cloudwatch-source.ts: its own timeout and output limit): was stopAll
 * called? Then it starts nothing more and settles nothing, as runCli does.
 */
export const stoppingAll = (): boolean => stopping;

/**
 * A command a runner of its own started, detached as runCli's are (the leader of its own process
 * group): stopAll stops it and what it started with runCli's. Let go once it closes.
 */
export function stopWithAll(child: ChildProcess): void {
  live.add(child);
  const forget = () => live.delete(child);
  child.once('close', forget);
  child.once('error', forget);
}

/**
 * Stops every command under way and keeps any more from starting (an entry point that is being
 * stopped calls it: a command left running could change the platform after the cleanup that
 * follows). SIGTERM to each command's process group, SIGKILL after `graceMs` to what is left.
 * Resolves once they were all sent SIGKILL; returns how many commands were under way.
 */
export async function stopAll(graceMs = 2_000): Promise<number> {
  stopping = true;
  const running = [...live];
  const exited = running.map(
    (child) =>
      new Promise<void>((ended) => {
        if (child.exitCode !== null || child.signalCode !== null) ended();
        else child.once('exit', () => ended());
      }),
  );
  for (const child of running) signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exited), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  // Also when the watchdog is gone: a child of the command that ignores SIGTERM stays in its group.
  for (const child of running) signalGroup(child, 'SIGKILL');
  return running.length;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (GROUPS && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

/** How a command line reads in a message: arguments with spaces quoted, long ones cut. */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map(redact) // before the cut, which would leave a secret's head unmatched
    .map((arg) => (arg.length > 80 ? `${arg.slice(0, 77)}...` : arg))
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)))
    .join(' ');
}

/**
 * A command's exit code for a message, with the signal that killed it when there was one. The
 * node watchdog exits 128 + the signal's number; coreutils `timeout` dies of the same signal
 * itself, and the exit code is then null, whatever the type says.
 */
export function exitStatus(code: number | null): string {
  if (code === null) return 'killed by a signal';
  const signal =
    code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
  return signal ? `exit ${code}, ${signal}` : `exit ${code}`;
}

// Lines of a crash report that say where, not what: a Node or Java stack frame, Node's
// closing `Node.js v20.19.2`, and the caret under the failing source line.
const NOISE = /^\s+at\s|^Node\.js v\d|^\s*\^+\s*$/;
// A line that says what went wrong: `Error: ...`, `TypeError [ERR_X]: ...`, `error: ...` (kubectl),
// `ERROR: (gcloud...)`, `An error occurred (ValidationException) ...` (aws), `fatal: ...`.
const ERROR_LINE = /^\s*(?:[\w.$]*(?:Error|Exception)\b|error\b|fatal\b|an error occurred\b)/i;
/** Longest line an excerpt shows: a minified source line can be kilobytes. */
const MAX_LINE = 300;
/** Lines an excerpt ends with. */
const EXCERPT_LINES = 4;

/**
 * The lines of a failed command's stderr that say what went wrong, for an error message: from the
 * first line that reads as an error (a crash prints its message above the stack, a tool its
 * `error:` above the details) on, else the last `lines`; stack frames and runtime trailers left
 * out, and at most `lines` in all (the first error line, then the last ones).
 */
export function lastLines(text: string, lines = EXCERPT_LINES): string {
  const all = nonBlankLines(text);
  const telling = all.filter((l) => !NOISE.test(l));
  const kept = telling.length > 0 ? telling : all;
  const first = kept.findIndex((l) => ERROR_LINE.test(l));
  const after = kept.slice(first + 1);
  const shown =
    first < 0
      ? kept.slice(-lines)
      : after.length < lines
        ? [kept[first], ...after]
        : [kept[first], '...', ...after.slice(-(lines - 1))];
  // Secrets hidden before the cut: one the cut runs through would no longer match, and its head go out.
  return shown.map((l) => clip(redact(String(l).trim()), MAX_LINE)).join(' | ') || '(nothing on stderr)';
}

// A lone carriage return (a progress bar's) ends a line too: left inside one, what follows it would
// start a line of its own on a terminal, unindented, where it could read as a workflow command.
const nonBlankLines = (text: string) =>
  text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');

/** At most this much of a failed command's stderr goes to the log (its end: where it failed). */
const LOGGED_LINES = 200;

/**
 * The whole stderr of a failed command, in the log: an error message quotes a few lines only.
 * Secrets are hidden here (the runner masks only its own log, and the CLI's is a terminal), and
 * every line starts `  | ` (the runner skips blanks, not the bar) with any `##[` broken, so none
 * is read as a workflow command (`::add-mask::`, `::error::`, `##[stop-commands]`).
 */
function logStderr(label: string, result: CliResult): void {
  const all = nonBlankLines(result.stderr);
  // Nothing to show: the error message says "(nothing on stderr)".
  if (all.length === 0) return;
  // When the excerpt shows every line as it is, the error message says it all already.
  if (lastLines(result.stderr) === all.map((l) => redact(l.trim())).join(' | ')) return;
  const cut = all.length > LOGGED_LINES ? [`(${all.length - LOGGED_LINES} earlier lines left out)`] : [];
  // Redacted line by line before the cut (see lastLines).
  const body = [...cut, ...all.slice(-LOGGED_LINES)]
    .map((l) => `  | ${clip(redact(l), 2000).replaceAll('##[', '## [')}`)
    .join('\n');
  process.stdout.write(
    `${redact(`${label} failed (${exitStatus(result.exitCode)}); its stderr:\n${body}`)}\n`,
  );
}
