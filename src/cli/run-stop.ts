import { constants } from 'node:os';
import type { Config, ModelConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { EndedElsewhereError } from '../ledger/ledger.js';
import { takeOutOfService } from '../release/out-of-service.js';
import { idleNotTaken } from '../release/pending-idle.js';
import { contextFor, type Ports } from '../release/ports.js';
import { candidateToActOn, type Release } from '../release/types.js';

// Ctrl-C, SIGTERM or SIGHUP (the terminal closed, an ssh session dropped) while `model-gate run`
// drives a release. In Actions a cancelled job's post step withdraws what the main step left live
// (action/post.ts); on a laptop nothing would, and the run's
// watch lease keeps schedule ticks away for up to max-wait. So the run stops itself at a safe point
// (a wait between looks: no traffic change or ledger write is under way then), withdraws the
// candidates it left live as the post step does, and exits 128 + the signal's number.

// The stop signals file-lock.ts removes its locks on: this run's listener keeps them while it withdraws.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The signal as a user knows it: Ctrl-C is SIGINT. */
export const signalName = (signal: NodeJS.Signals): string =>
  signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signal;

/** The exit code of a process ended by `signal`, as a shell reports it: 130 SIGINT, 143 SIGTERM, 129 SIGHUP. */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];

export interface RunStop {
  /** The run's clock: once a stop is asked, a wait on it never ends, and the run is parked there. */
  clock: Clock;
  /** The signal that asked the run to stop, if any. */
  readonly signal: NodeJS.Signals | undefined;
  /** Resolves with the signal once the run is parked at a wait after a stop was asked. */
  parked: Promise<NodeJS.Signals>;
  off(): void;
}

/**
 * Listens to SIGINT, SIGTERM and SIGHUP while a run drives releases. The first says `stopping(signal)`
 * and parks the run at its next wait (at once when it waits now). A second one exits at once, saying
 * `again(signal)`: what may be left live, and the command that withdraws it.
 */
export function stopOnSignal(words: {
  stopping: (signal: NodeJS.Signals) => string;
  again: (signal: NodeJS.Signals) => string;
}): RunStop {
  let signal: NodeJS.Signals | undefined;
  let park: (signal: NodeJS.Signals) => void = () => {};
  const parked = new Promise<NodeJS.Signals>((resolve) => {
    park = resolve;
  });
  // The waits under way: ended by a stop, never resolved, so the run goes no further.
  const waits = new Set<NodeJS.Timeout>();
  const onSignal = (received: NodeJS.Signals) => {
    // The terminal is gone: a write to it fails (EIO), which must not end the run before it withdraws.
    if (received === 'SIGHUP') for (const out of [process.stdout, process.stderr]) out.on('error', () => {});
    if (signal !== undefined) {
      process.stderr.write(`model-gate run: ${words.again(received)}\n`);
      process.exit(signalExitCode(received));
    }
    signal = received;
    process.stderr.write(`model-gate run: ${words.stopping(received)}\n`);
    if (waits.size === 0) return;
    for (const wait of waits) clearTimeout(wait);
    waits.clear();
    park(received);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
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
    off: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}

/**
 * After a stop parked the run: take out of service each release of PR `pr` on `headSha` (of `only`)
 * whose candidate may still get live traffic, as the post step does for a cancelled job: an analysis
 * ended `aborted` with `why`, its end recorded before the traffic change (endThenWithdraw); a pending
 * withdrawal tried again; a ready release's pending change to idle finished. Returns what each is now.
 */
export async function withdrawStopped(
  config: Config,
  scope: { pr: number; headSha: string; only?: string },
  why: (release: Release) => string,
  ports: Ports,
): Promise<Release[]> {
  const done: Release[] = [];
  for (const model of Object.values(config.models)) {
    if (scope.only !== undefined && model.name !== scope.only) continue;
    const release = await ports.ledger.release(model.name);
    if (!release || release.pr !== scope.pr || release.headSha !== scope.headSha) continue;
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
  return done;
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
