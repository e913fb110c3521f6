import { formatDuration, formatElapsed } from '../config/duration.js';
import type { Clock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { isPermanent } from './errors.js';
import type { KnownVersions, ReadBack } from './target.js';

// A target's settle-timeout is the most one traffic change may take, from its start to the end of
// the read-back after it: a watch job's lease and max-wait count on it. Every wait and retry in
// the change stops at its deadline, and every call (an HTTP request, a CLI command) is cut to the
// time left, so none runs on for its own `timeout` past it.

/**
 * How far past its deadline a call begun by then may run: a last look at the deadline, or the
 * read-back after a change that settled at the last moment. Enough for one such call (the `az`
 * CLI alone takes seconds to start), and fixed, so a lease or max-wait counted from
 * settle-timeout needs only this much slack (the lease margin is minutes). A CLI command stopped
 * then has 2 s more to exit (cli.ts).
 */
export const DEADLINE_GRACE_MS = 5_000;

/** One traffic change (or one read on its own), with the deadline every call and wait in it keeps. */
export interface ChangeDeadline {
  /** For messages: `the traffic change`, `the read`. */
  what: string;
  began: number;
  /** When waiting and retrying stop: `settleTimeoutMs` after `began`. */
  at: number;
  settleTimeoutMs: number;
  /** How far past `at` a call begun by then may run; DEADLINE_GRACE_MS when absent (withoutGrace). */
  graceMs?: number;
}

export function changeDeadline(
  settleTimeoutMs: number,
  clock: Clock,
  what = 'the traffic change',
): ChangeDeadline {
  const began = clock.now();
  return { what, began, at: began + settleTimeoutMs, settleTimeoutMs };
}

/** `the traffic change's settle-timeout (10m)`. */
export const settleTimeoutOf = (d: ChangeDeadline) =>
  `${d.what}'s settle-timeout (${formatDuration(d.settleTimeoutMs)})`;

export interface CallLimit {
  /** How long the call may take; 0: no time is left, and it is not to be made. */
  ms: number;
  /** Set when the deadline, not the call's own `timeout`, set `ms`: why, for its message. */
  cutBy?: string;
}

/** `limit` for a message: what the deadline left as the clock read it (`6s`), or the `timeout` as configured. */
export const limitText = (limit: CallLimit) => (limit.cutBy ? formatElapsed : formatDuration)(limit.ms);

/** How long a call begun now may take: its `timeout`, or what `deadline` (with the grace) leaves. */
export function callLimit(timeoutMs: number, clock: Clock, deadline?: ChangeDeadline): CallLimit {
  if (!deadline) return { ms: timeoutMs };
  const left = deadline.at + (deadline.graceMs ?? DEADLINE_GRACE_MS) - clock.now();
  if (left >= timeoutMs) return { ms: timeoutMs };
  return { ms: Math.max(0, left), cutBy: `the time left of ${settleTimeoutOf(deadline)}` };
}

/**
 * `change`'s deadline with no grace after it: for best-effort calls before the read-back (a
 * cleanup), which end by the deadline and so leave the grace whole to the read-back.
 */
export const withoutGrace = (change: ChangeDeadline): ChangeDeadline => ({ ...change, graceMs: 0 });

/** The error for a call not made because its change had no time left: `call` is `GET /traffic`. */
export const outOfTime = (call: string, deadline: ChangeDeadline) =>
  new TargetError(
    `${call} was not made: ${settleTimeoutOf(deadline)} had run out; raise the target's settle-timeout if the platform is just slow`,
  );

/**
 * A read that failed and may pass (nobody answering, a 5xx, throttled past the retries) while a
 * target waited for a change the platform took: no failure of the change. changesWithin keeps it
 * for the read-back, which takes the wait up again (`resume`) while the change has time left, and
 * at its deadline fails with the last such read's error (`failed`): a withdrawal then reports the
 * change unconfirmed (confirmed-change.ts), not refused.
 */
export class SettleReadFailed extends TargetError {
  constructor(
    readonly failed: TargetError,
    readonly resume: () => Promise<void>,
  ) {
    super(failed.message);
  }
}

/**
 * The errors of a target's reads that failed and may pass (not isPermanent), marked where the read
 * is made: the wait after a change (settleAccepted) tells them from its own failures (a change
 * still updating at its deadline, a revision not ready), which fail the change as they are.
 */
export function passingReadFailures() {
  const failed = new WeakSet<TargetError>();
  return {
    /** For a read's `catch`: marks `err` when it may pass, then throws it on. */
    mark(err: unknown): never {
      if (err instanceof TargetError && !isPermanent(err)) failed.add(err);
      throw err;
    },
    has: (err: unknown) => err instanceof TargetError && failed.has(err),
  };
}

/**
 * `wait`, for a change the platform took to land: a read in it that failed and may pass (`passing`)
 * ends it with SettleReadFailed, which changesWithin keeps; its `resume` is the same wait again.
 * Any other failure is the change's.
 */
export async function settleAccepted(
  wait: () => Promise<unknown>,
  passing: (err: TargetError) => boolean,
): Promise<void> {
  try {
    await wait();
  } catch (err) {
    if (!(err instanceof TargetError && passing(err))) throw err;
    throw new SettleReadFailed(err, () => settleAccepted(wait, passing));
  }
}

/**
 * `read` and `write` for a target whose calls keep a change's deadline: each write is a change of
 * its own, and returns its read-back (for reconcile), which keeps the same deadline. A read on its
 * own gets no `change` (the CLI targets give each of its calls its `timeout`; http gives it a
 * settle-timeout of its own). A write whose wait a failed read cut short (SettleReadFailed)
 * returns a read-back that takes that wait up again first, while the change has time left; at its
 * deadline, or when the wait's reads fail again, it fails with the last read's error.
 */
export function changesWithin(
  settleTimeoutMs: number,
  clock: Clock,
  write: (desired: TrafficState, change: ChangeDeadline) => Promise<void>,
  read: (known: KnownVersions | undefined, change?: ChangeDeadline) => Promise<TrafficState>,
) {
  const begin = () => changeDeadline(settleTimeoutMs, clock);
  return {
    read: (known?: KnownVersions) => read(known),
    async write(desired: TrafficState): Promise<ReadBack> {
      const change = begin();
      let unsettled: SettleReadFailed | undefined;
      try {
        await write(desired, change);
      } catch (err) {
        if (!(err instanceof SettleReadFailed)) throw err;
        unsettled = err;
      }
      return async (known) => {
        if (unsettled) {
          if (clock.now() >= change.at) throw unsettled.failed;
          try {
            await unsettled.resume();
          } catch (err) {
            if (!(err instanceof SettleReadFailed)) throw err;
            unsettled = err;
            throw err.failed;
          }
          unsettled = undefined;
        }
        return read(known, change);
      };
    },
  };
}
