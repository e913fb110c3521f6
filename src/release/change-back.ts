import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import { TargetRefusedError } from '../targets/errors.js';
import { NotDeployedError } from '../targets/not-deployed.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import type { KnownVersions } from '../targets/target.js';
import { readBackTiming, readPatiently, UnconfirmedChange } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';

/**
 * The one traffic change of a rollback with no candidate to withdraw (`ctx.target` reads it back
 * patiently: confirmingTarget). Refused, the run fails saying what serves, read again (the
 * platform's words alone named no rollback nor what still serves), that nothing is recorded, and
 * what to do: run it again once the platform answers, or, where the platform refused the request
 * itself (TargetRefusedError: a version it lacks), `another`; accepted but never read back, it says
 * that (unconfirmedRollback). `named`: the input this run's version came by.
 */
export async function changeBack(
  ctx: ReleaseContext,
  model: string,
  replaced: string,
  to: string,
  known: KnownVersions,
  { named, another }: { named: string | undefined; another: (err: TargetError) => string },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const began = ctx.clock.now();
    try {
      await reconcile(ctx.target, withdrawTraffic(to));
      return;
    } catch (err) {
      if (!(err instanceof TargetError)) throw err;
      if (err instanceof UnconfirmedChange) throw unconfirmedRollback(model, replaced, to, err, named);
      // Read again, as patiently as a read-back. An error may come after the platform took the change
      // (a look while it settles failed): `to` alone serving confirms it, and it is recorded.
      const { settleMs, pollMs } = readBackTiming(ctx.config);
      const read = await readPatiently(() => ctx.target.read(known), began + settleMs, pollMs, ctx.clock);
      const now = 'state' in read ? read.state : undefined;
      if (now && sameTraffic(now, withdrawTraffic(to))) return;
      // Taken in part (one variant's weight of two, say): the platform answered, and the same change
      // (idempotent) sent once more may finish it; partly again, the next run is the one to try.
      const partly = now && !(err instanceof TargetRefusedError) && appliedPartly(now, replaced, to);
      if (partly && attempt === 1) continue;
      if (partly)
        throw new TargetError(
          `rollback ${model} from ${replaced} to ${to}: the platform applied it partly (serves ${describeTraffic(now)}); nothing is recorded; run the rollback again now`,
        );
      throw refusedChangeBack(err, model, replaced, to, now, another);
    }
  }
}

/**
 * Whether `now` is a partial apply of the rollback from `replaced` to `to`: both get live traffic,
 * nothing else does (a rolling pool or a mirror is some other state).
 */
function appliedPartly(now: TrafficState, replaced: string, to: string): boolean {
  if (now.rolling || (now.mirror && now.mirror.share > 0) || !now.canary || now.canary.weight <= 0)
    return false;
  const live = [now.stable.version, now.canary.version].sort();
  return now.canary.weight < 100 && live.join() === [replaced, to].sort().join();
}

/**
 * changeBack's failure, `now` being what serves after it (undefined: could not be read): what the
 * platform said, that nothing is recorded, and what to do. The platform answered and refused: waiting
 * for it to answer, as after an outage, changes nothing.
 */
function refusedChangeBack(
  err: TargetError,
  model: string,
  replaced: string,
  to: string,
  now: TrafficState | undefined,
  another: (err: TargetError) => string,
): TargetError {
  const next =
    err instanceof TargetRefusedError
      ? `nothing is recorded; ${another(err)}`
      : 'nothing is recorded: run the rollback again once the platform answers';
  const stays = now && sameTraffic(now, withdrawTraffic(replaced));
  if (stays && err instanceof NotDeployedError)
    return new TargetError(
      `rollback ${model}: ${replaced} still serves, nothing changed: ${refusalWords(err, to)}; ${next}`,
    );
  if (stays)
    return new TargetError(
      `rollback ${model}: ${replaced} still serves, the platform did not take the rollback to ${to} (${err.message}); ${next}`,
    );
  const serves = now ? `the platform serves ${describeTraffic(now)}` : 'what serves could not be read';
  return new TargetError(
    `rollback ${model} from ${replaced} to ${to} failed (${refusalWords(err, to)}); ${serves}; ${next}`,
  );
}

/**
 * A rollback the platform accepted but never confirmed by a read within the settle-timeout: no
 * failure to roll back (`to` probably serves) and no rollback to record (that is unconfirmed). A
 * re-run reads what serves first, so it neither goes one version further back nor changes traffic
 * that already serves `to` (unrecordedRollback); `named` as recordTaken's.
 */
function unconfirmedRollback(
  model: string,
  replaced: string,
  to: string,
  err: UnconfirmedChange,
  named: string | undefined,
): TargetError {
  const rerun =
    named === undefined
      ? `a run with the same inputs records the rollback, changing no traffic, if ${to} serves, and makes the change again if ${replaced} still does`
      : `a run without ${named} records the rollback, changing no traffic, if ${to} serves and is the version before ${replaced}; a run with ${named} ${to} makes the change again if ${replaced} still serves`;
  return new TargetError(
    `rollback ${model} from ${replaced} to ${to} is unconfirmed: ${err.message}; ${to} alone probably serves now, but nothing is recorded until a read confirms it; re-running is safe, once the platform answers reads: ${rerun}`,
  );
}

/**
 * The platform's words on a refused rollback to `to`; a version not deployed (NotDeployedError, whose
 * own words are a release's) in a rollback's: a blue retired after the rollback window, say.
 */
export function refusalWords(err: TargetError, to: string): string {
  if (!(err instanceof NotDeployedError)) return err.message;
  return `${to} is no longer deployed on ${err.where}, or never was (retired after the rollback window?); ${err.has}`;
}
