import type { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import type { Clock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { counted, followedBy } from '../core/text.js';
import { type ChangeDeadline, callLimit, outOfTime, settleTimeoutOf } from './change-deadline.js';
import { type CliResult, commandLine, exitStatus, lastLines, runCli } from './cli.js';
import { TargetAccessError, TargetBusyError, TargetStateError, TargetThrottledError } from './errors.js';

/** Timing shared by the targets that drive a platform's CLI (normalised config, in ms). */
export interface Timing {
  timeoutMs: number;
  settleTimeoutMs: number;
  pollIntervalMs: number;
}

/**
 * How a failed call of a platform CLI is to be treated:
 * - `throttled`: the API limited the rate; the same call is retried after a pause;
 * - `transient`: the API failed in passing (unavailable, out of time, an internal error, nobody
 *   answering) on a call that is safe to repeat; retried as `throttled` is, then reported as
 *   `failed`, with its tries and the CLI's `outageAdvice`;
 * - `busy`: another change holds the resource (`Updating`, a conflict); a write waits and
 *   retries until the settle timeout, then fails with TargetBusyError;
 * - `denied`: the platform refused the CLI's credentials (expired, or without the permission);
 * - `missing`: what the config names is not there (an endpoint, a resource type);
 * - `failed`: anything else, reported at once.
 * `denied` and `missing` are a TargetAccessError: no wait changes them, so a read-back stops at once.
 */
export type FailureKind = 'throttled' | 'transient' | 'busy' | 'denied' | 'missing' | 'failed';

export interface PlatformCli {
  /** For messages: `aws`, `kubectl`. */
  readonly program: string;
  /** What the resource is, for messages: `SageMaker endpoint fraud (us-east-1)`. */
  readonly description: string;
  classify(result: CliResult): FailureKind;
  /** What to do about a `transient` failure that lasted to the deadline: said after it. */
  readonly outageAdvice?: string;
}

/**
 * The longest pause between two tries of a throttled or transiently failing call (unless the poll
 * interval is longer): an outage such as a managed control-plane upgrade lasts minutes, and a try
 * a minute sees its end soon enough.
 */
const MAX_RETRY_PAUSE_MS = 60_000;

/**
 * Runs one CLI call and returns its standard output. Throttling and transient failures are retried
 * with a pause doubling from the poll interval (at most MAX_RETRY_PAUSE_MS), and with
 * `waitWhileBusy` a busy platform is waited for, until the settle timeout: with `deadline` (a
 * traffic change's), the change's; without, settle-timeout from now, as for a read on its own. A
 * pause is cut short to end at it, for a last try there (change-deadline.ts gives that try its
 * grace), none after it; and the command is stopped when the change's time is up, whatever its
 * own `timeout`.
 */
export async function callCli(
  cli: PlatformCli,
  args: readonly string[],
  timing: Timing,
  clock: Clock,
  options: { input?: string; waitWhileBusy?: boolean; deadline?: ChangeDeadline } = {},
): Promise<string> {
  const argv = [cli.program, ...args];
  const { deadline } = options;
  const until = deadline?.at ?? clock.now() + timing.settleTimeoutMs;
  // A wait is cut to the time left, so the last try falls on the deadline, not a pause before it.
  const timeLeft = () => until - clock.now();
  const longestPause = Math.max(timing.pollIntervalMs, MAX_RETRY_PAUSE_MS);
  let tries = 0;
  for (;;) {
    const limit = callLimit(timing.timeoutMs, clock, deadline);
    if (deadline && limit.ms <= 0) throw outOfTime(`\`${commandLine(argv)}\``, deadline);
    const result = await runCli(argv, { timeoutMs: limit.ms, cutBy: limit.cutBy, input: options.input });
    if (result.exitCode === 0) return result.stdout;
    const kind = cli.classify(result);
    const retries = kind === 'throttled' || kind === 'transient';
    if (retries) tries += 1;
    if (retries && timeLeft() > 0) {
      const pause = Math.min(timing.pollIntervalMs * 2 ** (tries - 1), longestPause);
      await clock.sleep(Math.min(pause, timeLeft()));
      continue;
    }
    if (kind === 'busy' && options.waitWhileBusy && timeLeft() > 0) {
      await clock.sleep(Math.min(timing.pollIntervalMs, timeLeft()));
      continue;
    }
    const why = lastLines(result.stderr);
    if (kind === 'busy') {
      throw new TargetBusyError(
        `${cli.description} is busy with another change (${why}); nothing was changed, try again later`,
      );
    }
    if (kind === 'throttled') {
      const settleTimeout = deadline
        ? settleTimeoutOf(deadline)
        : `the target's settle-timeout (${formatDuration(timing.settleTimeoutMs)})`;
      throw new TargetThrottledError(
        `${cli.description} kept refusing \`${commandLine(argv)}\` for rate limits after ${counted(tries, 'try', 'tries')}, when ${settleTimeout} ran out: ${why}; try again later, or raise the target's settle-timeout to retry for longer`,
      );
    }
    const still = kind === 'transient' && tries > 1 ? `, still after ${counted(tries, 'try', 'tries')}` : '';
    const failed = `\`${commandLine(argv)}\` failed (${exitStatus(result.exitCode)}) on ${cli.description}${still}: ${why}`;
    if (kind === 'transient' && cli.outageAdvice) throw new TargetError(followedBy(failed, cli.outageAdvice));
    if (kind === 'denied') {
      throw new TargetAccessError(
        followedBy(
          failed,
          `check the credentials \`${cli.program}\` runs with in the job: expired, or without the permission`,
        ),
      );
    }
    if (kind === 'missing') {
      throw new TargetAccessError(
        followedBy(failed, "check the names in the target's config: the platform has no such resource"),
      );
    }
    throw new TargetError(failed);
  }
}

/**
 * Parses a CLI's JSON answer at the edge: anything unexpected is a TargetStateError naming the call
 * (the CLI answered; calling again prints the same, so a read-back does not wait on it). For a
 * command of the user's (command-target): one that prints more than JSON does so every time.
 */
export function parseCliJson<S extends z.ZodType>(schema: S, stdout: string, what: string): z.output<S> {
  const json = jsonOf(stdout);
  if (json === NOT_JSON) throw new TargetStateError(`${what} did not print JSON (got ${excerpt(stdout)})`);
  return shaped(schema, json, what);
}

/**
 * parseCliJson for a platform CLI's read (kubectl, az, aws, gcloud), which prints the API's answer
 * as JSON whenever it exits 0: output that is not JSON (cut off, or a proxy's HTML error page passed
 * on) was garbled on its way this once, a read that failed and may pass (a TargetError, retried as
 * one that exited 1 is, until the settle-timeout), not the platform's answer. Valid JSON of another
 * shape is the platform's answer: a TargetStateError, as in parseCliJson.
 */
export function parsePlatformJson<S extends z.ZodType>(schema: S, stdout: string, what: string): z.output<S> {
  const json = jsonOf(stdout);
  if (json === NOT_JSON) {
    throw new TargetError(
      `${what} did not print JSON (got ${excerpt(stdout)}): its answer was cut off or replaced on the way; if this keeps happening, check what sits between the runner and the platform's API (a proxy or gateway)`,
    );
  }
  return shaped(schema, json, what);
}

const NOT_JSON = Symbol('not JSON');

function jsonOf(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return NOT_JSON;
  }
}

/** The start of `stdout`, quoted: secrets hidden before the cut, as one the cut runs through would no longer match. */
const excerpt = (stdout: string) => JSON.stringify(redact(stdout).slice(0, 120));

function shaped<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new TargetStateError(`${what} printed JSON of an unexpected shape: ${where}: ${issue?.message}`);
  }
  return parsed.data;
}

export type Settled<T> = { done: true; value: T } | { done: false; why: string };

/**
 * Looks (`look`) every poll interval, and a last time at the settle timeout (from when the
 * traffic change began, with `change`), until the platform has settled; then fails with
 * TargetBusyError saying what it was still doing.
 */
export async function waitUntilSettled<T>(
  look: () => Promise<Settled<T>>,
  timing: Timing,
  clock: Clock,
  description: string,
  change?: ChangeDeadline,
): Promise<T> {
  const deadline = change?.at ?? clock.now() + timing.settleTimeoutMs;
  for (;;) {
    const seen = await look();
    if (seen.done) return seen.value;
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new TargetBusyError(
        `${description} did not settle within ${formatDuration(timing.settleTimeoutMs)}: ${seen.why}; try again later`,
      );
    }
    // The last look falls on the deadline: one a poll interval early could miss a late settling.
    await clock.sleep(Math.min(timing.pollIntervalMs, left));
  }
}
