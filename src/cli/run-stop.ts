import { constants } from 'node:os';
import type { Config, ModelConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { STOP_SIGNALS } from '../core/stop-signals.js';
import { EndedElsewhereError, type Ledger, sameRelease } from '../ledger/ledger.js';
import { tearDownStoppedClose } from '../release/closed-stop-tear-down.js';
import { takeOutOfService } from '../release/out-of-service.js';
import { idleNotTaken } from '../release/pending-idle.js';
import { contextFor, type Ports } from '../release/ports.js';
import { candidateToActOn, type Release } from '../release/types.js';
import { withLease } from '../release/watch-lease.js';
import { stopAll } from '../targets/cli.js';
import { stopCommandsOnSignal } from '../targets/stop-commands-on-signal.js';

// Ctrl-C, SIGTERM or SIGHUP (the terminal closed, an ssh session dropped) while `model-gate run`
// drives a release. In Actions a cancelled job's post step withdraws what the main step left live
// (action/post.ts); on a laptop nothing would, and the run's
// watch lease keeps schedule ticks away for up to max-wait. So the run stops itself at a safe point
// (a wait between looks: no traffic change or ledger write is under way then), withdraws the
// candidates it left live as the post step does, and exits 128 + the signal's number.
// Its output going away (`| head -1`, quitting `less`: a write fails with EPIPE) stops it the same
// way: nobody reads what it says any more, and Node would otherwise end it with a stack trace,
// the candidate left live under a lease nothing keeps.

// The stop signals file-lock.ts removes its locks on: this run's listener keeps them while it withdraws.

/**
 * What a run stopped on its output going away (EPIPE) names as its signal: the one a shell
 * reports (exit 141) for a program that pipe ends (`yes | head -1`). Never sent: Node ignores it.
 */
export const OUTPUT_CLOSED: NodeJS.Signals = 'SIGPIPE';

/** The signal as a user knows it: Ctrl-C is SIGINT; SIGPIPE, here, is the output gone. */
export const signalName = (signal: NodeJS.Signals): string =>
  signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signal === OUTPUT_CLOSED ? 'its output closing (EPIPE)' : signal;

/**
 * The exit code of a process ended by `signal`, as a shell reports it: 130 SIGINT, 143 SIGTERM,
 * 129 SIGHUP, 141 its output closing.
 */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];

/**
 * Once per process: a write to stdout or stderr that fails (EPIPE: the reader went away; EIO: the
 * terminal closed) is let go instead of ending the process with a stack trace: the run still has
 * its candidates to withdraw, and its exit code to give.
 */
let outputErrorsHeard = false;
function hearOutputErrors() {
  if (outputErrorsHeard) return;
  outputErrorsHeard = true;
  for (const out of [process.stdout, process.stderr]) out.on('error', () => {});
}

export interface RunStop {
  /** The run's clock: once a stop is asked, a wait on it never ends, and the run is parked there. */
  clock: Clock;
  /** The signal that asked the run to stop, if any. */
  readonly signal: NodeJS.Signals | undefined;
  /** Resolves with the signal once the run is parked at a wait after a stop was asked. */
  parked: Promise<NodeJS.Signals>;
  /**
   * The signal once the writes made so far were told whether they failed. A write to a closed pipe
   * fails at once, but the stream tells it (its 'error', heard as OUTPUT_CLOSED) only after the
   * current task: when that write was the run's report, the run would return before hearing it.
   */
  settled(): Promise<NodeJS.Signals | undefined>;
  off(): void;
}

/** How long a stop at once waits for `again` (a ledger write) before it exits all the same. */
export const AGAIN_WITHIN_MS = 5_000;

/**
 * Listens to SIGINT, SIGTERM and SIGHUP while a run drives releases, and to its stdout going away
 * (OUTPUT_CLOSED). The first says `stopping(signal)` and parks the run at its next wait (at once
 * when it waits now). A second signal stops it at once: it stops the platform commands under way
 * (stopAll) and exits once `again(signal)` says what may be left live and the command that
 * withdraws it (a third kills what is left and exits without waiting for it).
 */
export function stopOnSignal(words: {
  stopping: (signal: NodeJS.Signals) => string;
  again: (signal: NodeJS.Signals) => Promise<string>;
}): RunStop {
  let signal: NodeJS.Signals | undefined;
  let park: (signal: NodeJS.Signals) => void = () => {};
  const parked = new Promise<NodeJS.Signals>((resolve) => {
    park = resolve;
  });
  // The waits under way: ended by a stop, never resolved, so the run goes no further.
  const waits = new Set<NodeJS.Timeout>();
  let exiting = false;
  const onSignal = (received: NodeJS.Signals) => {
    if (signal !== undefined) {
      const code = signalExitCode(received);
      // A third: what is still running is killed, and the run exits without waiting for `again`.
      if (exiting) {
        void stopAll(0).finally(() => process.exit(code));
        return;
      }
      exiting = true;
      // The platform commands under way (a traffic change, a withdrawal) are stopped with the run:
      // each in a process group of its own, out of reach of the terminal's Ctrl-C, one left running
      // would land its change after the run exited, even after the abort it names withdrew the
      // candidate. `again` reads only the ledger, which stopAll leaves alone.
      const stopped = stopAll().catch(() => 0);
      const exit = (line: string) =>
        void stopped.then((commands) => {
          const cut = commands > 0 ? '; the platform command under way was stopped' : '';
          process.stderr.write(`model-gate run: ${line}${cut}\n`);
          process.exit(code);
        });
      words
        .again(received)
        .then(exit, (err: Error) => exit(`stopped on ${signalName(received)}: ${err.message}`));
      return;
    }
    signal = received;
    process.stderr.write(`model-gate run: ${words.stopping(received)}\n`);
    if (waits.size === 0) return;
    for (const wait of waits) clearTimeout(wait);
    waits.clear();
    park(received);
  };
  // Heard from the start: the first write to a closed pipe would otherwise end the run on the spot.
  hearOutputErrors();
  // Not a second stop: a run stopping writes on, and each of its writes to the closed pipe fails.
  const onOutputError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' && signal === undefined) onSignal(OUTPUT_CLOSED);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  process.stdout.on('error', onOutputError);
  const clock: Clock = {
    now: systemClock.now,
    sleep: (ms) => {
      if (signal !== undefined) {
        park(signal);
        return new Promise(() => {});
      }
      return new Promise((resolve) => {
        const wait = setTimeout(() => {
          waits.delete(wait);
          resolve();
        }, ms);
        waits.add(wait);
      });
    },
  };
  return {
    clock,
    get signal() {
      return signal;
    },
    parked,
    // The 'error' of a failed write comes on a next tick, and next ticks all run before an immediate.
    settled: () => new Promise((resolve) => setImmediate(() => resolve(signal))),
    off: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      process.stdout.off('error', onOutputError);
    },
  };
}

/**
 * Listens to SIGINT, SIGTERM and SIGHUP while a command (rollback, promote, abort) runs: its change
 * is one platform call, nothing to withdraw after it, so it stops at once, as a cancelled Action
 * step does (stop-on-cancel.ts). The first signal stops the platform command under way (left
 * running, it would land its change after the run exited, with nothing on record), says
 * `stopped(signal)` and exits 128 + the signal's number; a second kills what is left at once.
 */
export function stopCommandOnSignal(stopped: (signal: NodeJS.Signals) => string): () => void {
  // The terminal gone (SIGHUP), the line's write fails: the run still exits with its code.
  hearOutputErrors();
  return stopCommandsOnSignal(
    STOP_SIGNALS,
    (signal, commands) => {
      const cut = commands > 0 ? '; the platform command under way was stopped' : '';
      process.stderr.write(`model-gate run: stopped by ${signalName(signal)}${cut}: ${stopped(signal)}\n`);
    },
    (signal) => process.exit(signalExitCode(signal)),
  );
}

/**
 * The releases a stopped run answers for: PR `pr` on `headSha`, of the model `only` when given;
 * `closed` when the run was the PR's close without merging (`model-gate run close`).
 */
type StopScope = { pr: number; headSha: string; only?: string; closed?: boolean };

const inScope = (r: Release, scope: StopScope): boolean =>
  r.pr === scope.pr && r.headSha === scope.headSha && (scope.only === undefined || r.model === scope.only);

/**
 * After a stop parked the run: take out of service each release of PR `pr` on `headSha` (of `only`)
 * whose candidate may still get live traffic, as the post step does for a cancelled job: an analysis
 * ended `aborted` with `why`, its end recorded before the traffic change (endThenWithdraw); a pending
 * withdrawal tried again; a ready release's pending change to idle finished. A close (`closed`)
 * then takes each withdrawn candidate's deployment off a platform that keeps it at 0%, as the close
 * would have (tearDownStoppedClose), said in the run's log. Returns what each is now.
 */
export async function withdrawStopped(
  config: Config,
  scope: StopScope,
  why: (release: Release) => string,
  ports: Ports,
): Promise<Release[]> {
  const done: Release[] = [];
  for (const model of Object.values(config.models)) {
    if (scope.only !== undefined && model.name !== scope.only) continue;
    const release = await ports.ledger.release(model.name);
    if (!release || !inScope(release, scope)) continue;
    if (!candidateToActOn(release)) continue;
    try {
      done.push(await outOfService(release, why(release), model, ports));
    } catch (err) {
      // Another run (an abort beside this one) ended it meanwhile: its word stands.
      if (!(err instanceof EndedElsewhereError)) throw err;
      ports.log.warn(err.message);
      done.push(err.release);
    }
  }
  // Every candidate withdrawn first: a deletion may take minutes, and a second signal stops the run.
  if (scope.closed) for (const release of done) await tearDownStoppedClose(config, release, ports);
  return done;
}

/**
 * The ready releases of PR `pr` on `headSha` (of `only`) as the ledger has them now: after a stopped
 * merge, the ones it did not promote, its promotion pending (`mergedAt` set) or not begun.
 */
export async function readyLeft(config: Config, scope: StopScope, ledger: Ledger): Promise<Release[]> {
  const left: Release[] = [];
  for (const model of Object.values(config.models)) {
    if (scope.only !== undefined && model.name !== scope.only) continue;
    const release = await ledger.release(model.name);
    if (release?.status === 'ready' && inScope(release, scope)) left.push(release);
  }
  return left;
}

/**
 * A run stopped at once (a second signal) gives back the watch leases it holds on the releases of
 * PR `pr` on `headSha` (of `only`): else schedule ticks leave their candidates, still live, to a run
 * that is gone until the lease ends (up to its max-wait). A record changed since it was read (the
 * run saved a look meanwhile) is read again. Gives up after `withinMs`: the run is to stop at once.
 * Returns, by model, the end of each lease still held; undefined when it could not even list them.
 */
export async function giveBackLeases(
  ledger: Ledger,
  scope: StopScope,
  withinMs = AGAIN_WITHIN_MS,
): Promise<Map<string, number> | undefined> {
  const held = new Map<string, number>();
  let listed = false;
  const ours = (r: Release | undefined): r is Release & { watchedUntil: number } =>
    r !== undefined && inScope(r, scope) && r.status === 'analysing' && r.watchedUntil !== undefined;
  const giveBack = async () => {
    const leases = ((await ledger.slotHolders?.(scope.pr)) ?? []).filter(ours);
    for (const leased of leases) held.set(leased.model, leased.watchedUntil);
    listed = true;
    for (const leased of leases) {
      for (let tries = 0; tries < 3; tries++) {
        const now = await ledger.release(leased.model);
        if (!ours(now) || !sameRelease(now, leased)) {
          held.delete(leased.model);
          break;
        }
        held.set(leased.model, now.watchedUntil);
        try {
          await ledger.saveRelease(withLease(now, undefined));
          held.delete(leased.model);
          break;
        } catch (err) {
          if (!(err instanceof EndedElsewhereError)) throw err;
        }
      }
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, withinMs);
  });
  // A ledger that cannot be written (locked by another run, a full disk): the leases stay, said so.
  await Promise.race([giveBack().catch(() => {}), late]);
  clearTimeout(timer);
  return listed ? new Map(held) : undefined;
}

async function outOfService(
  release: Release,
  why: string,
  model: ModelConfig,
  ports: Ports,
): Promise<Release> {
  const done = await takeOutOfService(release, why, contextFor(model, ports), ports);
  if (done.idleRefused)
    ports.log.warn(
      `${model.name}: ${idleNotTaken(release.to, done.idleRefused, 'the next model-gate run tick')}`,
    );
  // A bug in model-gate: the run fails on it, the withdrawal still pending for the next run.
  if (done.defect) throw done.defect;
  return done.release;
}
