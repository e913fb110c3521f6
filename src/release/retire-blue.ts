import { formatDuration } from '../config/duration.js';
import type { ModelConfig } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import { contextFor, type Ports } from './ports.js';

/**
 * Blue-green's `rollback-window`: a promotion leaves blue deployed without traffic, so that a
 * rollback is one quick call; once the last promotion is older than the window, a schedule tick
 * sets the target to green alone. Returns a line for the run's summary when there is something
 * to say (blue retired, or left because what serves is not what the promotion left), else
 * undefined. The caller skips models whose canary slot a release holds.
 */
export async function retireBlue(
  model: ModelConfig,
  ports: Ports,
  opts: { dryRun?: boolean } = {},
): Promise<string | undefined> {
  if (model.strategy.type !== 'blue-green') return undefined;
  const windowMs = model.strategy.rollbackWindowMs;
  // The ledger's last word on what serves: a rollback or nothing means no blue is kept.
  const last = (await ports.ledger.history(model.name)).at(-1);
  if (last?.kind !== 'promotion') return undefined;
  const { previous: blue, version: green } = last;
  const window = `rollback-window ${formatDuration(windowMs)}`;
  const left = last.at + windowMs - ports.clock.now();
  if (left > 0) {
    ports.log.info(
      `${model.name}: blue ${blue} kept for a rollback for another ${formatDuration(left)} (${window})`,
    );
    return undefined;
  }
  const { target } = contextFor(model, ports);
  const say = (line: string, warn = true) => {
    (warn ? ports.log.warn : ports.log.info)(`${model.name}: ${line}`);
    return line;
  };
  let serving: TrafficState;
  try {
    // Green is stable by the ledger's word unless another version alone serves; blue by name only,
    // so the platform's names map back to both.
    serving = await target.read({ stable: green, others: [blue] });
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return say(`blue ${blue} not retired yet: ${err.message}; the next schedule tick tries again`);
  }
  const idle = idleVersion(serving, green);
  // Green alone: retired by an earlier tick (or a platform that does not report a version without traffic).
  if (idle === undefined) return undefined;
  if (idle !== blue) {
    const what =
      idle === null
        ? describeTraffic(serving)
        : `${describeTraffic(serving)} with ${idle} deployed without traffic`;
    return say(
      `blue ${blue} not retired: ${target.description} serves ${what}, not ${green} with ${blue} kept as the promotion left it; someone changed it, so model-gate leaves it as it is`,
    );
  }
  if (opts.dryRun) return say(`would retire blue ${blue} (${window} over): ${green} alone deployed`, false);
  // A release may have claimed the slot since the tick began: its candidate is not ours to touch.
  if (await ports.ledger.canaryHolder(model.name)) return undefined;
  let after: TrafficState;
  try {
    after = await reconcile(target, withdrawTraffic(green));
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return say(`retiring blue ${blue} failed: ${err.message}; the next schedule tick tries again`);
  }
  // The read-back treats a version without traffic as absent; blue must be gone, not just idle.
  if (idleVersion(after, green) === blue) {
    return say(
      `retiring blue ${blue} failed: ${target.description} still reports it deployed without traffic after being asked for ${green} alone; the next schedule tick tries again`,
    );
  }
  return say(
    `blue ${blue} retired (${window} over): ${green} alone is deployed; a rollback to ${blue} deploys it again`,
    false,
  );
}

/**
 * What beside `green` the target keeps deployed without live traffic: its version, undefined when
 * green alone is deployed, or null when it serves anything else (another stable, live traffic
 * on another version, a mirror).
 */
function idleVersion(serving: TrafficState, green: string): string | null | undefined {
  if (!sameTraffic(serving, withdrawTraffic(green))) return null;
  const idle = serving.canary?.version;
  return idle === green ? undefined : idle;
}
