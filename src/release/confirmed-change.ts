import { formatDuration, formatElapsed } from '../config/duration.js';
import type { ModelConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, type TrafficState } from '../core/traffic.js';
import { isPermanent } from '../targets/errors.js';
import type { KnownVersions, Target } from '../targets/target.js';
import type { ReleaseContext } from './context.js';

// A traffic change the platform took is not undone by a read that failed right after it: a read
// endpoint timing out, or a gateway's 5xx once, says nothing of what serves. So the read-back of a
// command's change is made again every poll interval within the target's settle-timeout (which
// bounds a whole change, its read-back included); only a platform that never answers a read in
// that time leaves the change unconfirmed (UnconfirmedChange), and the caller says so. A read that
// answered with what model-gate cannot read (TargetStateError) or was refused (isPermanent) gets
// the same answer again: it fails at once, as itself, for it shows something other than the change.

/** For a target with no timing of its own (the sandbox, a local process that answers at once). */
const LOCAL_TIMING = { settleMs: 10_000, pollMs: 1_000 };

/** How long, and how often, a change of `model`'s target is read back: its settle-timeout and poll-interval. */
export const readBackTiming = (model: ModelConfig) =>
  'settleTimeoutMs' in model.target
    ? { settleMs: model.target.settleTimeoutMs, pollMs: model.target.pollIntervalMs }
    : LOCAL_TIMING;

/** How a change was read back: for UnconfirmedChange's message. */
export interface ReadBackSpan {
  /** From the change's start to the last read. */
  waitedMs: number;
  settleMs: number;
  pollMs: number;
  /** Whether settleMs and pollMs are the target's settle-timeout and poll-interval (not LOCAL_TIMING). */
  configured: boolean;
}

/**
 * A change the platform accepted (its write answered OK) whose read-back never answered in time.
 * Its message says how long and how often the reads failed, as the read-back and the target's own
 * wait inside the write made them (every poll-interval until the settle-timeout), not how many
 * times this layer tried: a target that waits inside its write (http, SageMaker, KServe) may leave
 * the read-back one try at the deadline after a whole settle-timeout of failed reads.
 */
export class UnconfirmedChange extends TargetError {
  constructor(
    readonly asked: TrafficState,
    /** The last read's error: the platform's words. */
    readonly lastRead: TargetError,
    description: string,
    span: ReadBackSpan,
  ) {
    const every = `a read every ${formatDuration(span.pollMs)}${span.configured ? ', its poll-interval' : ''}`;
    super(
      `${description} accepted the change to ${describeTraffic(asked)} but never confirmed it: reading it back kept failing until its settle-timeout (${formatDuration(span.settleMs)}) ran out, ${formatElapsed(span.waitedMs)} after the change was sent (${every}); the last read failed with: ${lastRead.message}`,
    );
  }
}

/** A read that answered, or the last of the reads that failed and how many did. */
export type PatientRead = { state: TrafficState } | { failed: TargetError; tries: number };

/**
 * `read` made again while it fails with a TargetError that may pass, every `pollMs`, until
 * `deadline`; a first read is always made (a change that used up its time still gets its
 * read-back). A permanent failure (isPermanent) ends it at once.
 */
export async function readPatiently(
  read: () => Promise<TrafficState>,
  deadline: number,
  pollMs: number,
  clock: Clock,
): Promise<PatientRead> {
  for (let tries = 1; ; tries++) {
    try {
      return { state: await read() };
    } catch (err) {
      if (!(err instanceof TargetError)) throw err;
      const left = deadline - clock.now();
      if (left <= 0 || isPermanent(err)) return { failed: err, tries };
      await clock.sleep(Math.min(pollMs, left));
    }
  }
}

/** Targets confirmingTarget made: wrapped again (a command's context handed to a withdrawal), they wait once, not twice. */
const confirming = new WeakSet<Target>();

/**
 * `target`, whose traffic changes are read back patiently (readPatiently, within the model's
 * settle-timeout from the change's start): reconcile through it confirms a change the platform took
 * despite a read that failed once, and throws UnconfirmedChange where none answered (a permanent
 * failure as itself). The wait stays within the settle-timeout that already bounds the change (its
 * write and the target's own retries): a post step's withdrawal takes no longer than before.
 */
export function confirmingTarget(target: Target, model: ModelConfig, clock: Clock): Target {
  if (confirming.has(target)) return target;
  const { settleMs, pollMs } = readBackTiming(model);
  const wrapped: Target = {
    description: target.description,
    identity: target.identity,
    stickySplit: target.stickySplit,
    platformName: target.platformName?.bind(target),
    read: (known) => target.read(known),
    async write(desired) {
      const began = clock.now();
      const readBack = await target.write(desired);
      return async (known: KnownVersions) => {
        const read = () => (readBack ? readBack(known) : target.read(known));
        const got = await readPatiently(read, began + settleMs, pollMs, clock);
        if ('state' in got) return got.state;
        // The platform answered, refusing the read or with what model-gate cannot read: itself, not unconfirmed.
        if (isPermanent(got.failed)) throw got.failed;
        const span = {
          waitedMs: clock.now() - began,
          settleMs,
          pollMs,
          configured: 'settleTimeoutMs' in model.target,
        };
        throw new UnconfirmedChange(desired, got.failed, target.description, span);
      };
    },
  };
  confirming.add(wrapped);
  return wrapped;
}

/**
 * `ctx`'s target for a change that takes candidate traffic away (a rollback, a withdrawal): read
 * back patiently (confirmingTarget), so a withdrawal the platform took is not reported failed for
 * a read that failed once. Forward steps keep the target as it is.
 */
export const withdrawingTarget = (ctx: Pick<ReleaseContext, 'target' | 'config' | 'clock'>): Target =>
  confirmingTarget(ctx.target, ctx.config, ctx.clock);

/** `ctx` with its target's changes read back patiently (confirmingTarget). */
export const confirmingContext = (ctx: ReleaseContext): ReleaseContext => ({
  ...ctx,
  target: confirmingTarget(ctx.target, ctx.config, ctx.clock),
});
