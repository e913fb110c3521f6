import { formatElapsed } from '../config/duration.js';
import type { Config } from '../config/types.js';
import { ConfigError, TargetError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import { describeTraffic, type TrafficState } from '../core/traffic.js';
import { EndedElsewhereError, type Ledger } from '../ledger/ledger.js';
import type { ObservationLine } from '../stats/observation.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import type { ReadBack, Target } from '../targets/target.js';
import { withdrawingTarget } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { checkSameTarget, deployingOn } from './deployed-target.js';
import { hasLiveTraffic, retryWithdrawal } from './finish.js';
import { LeftAloneError } from './left-alone.js';
import { LookSchedule } from './look-schedule.js';
import { finishIdle, idleFinished, idleNotTaken, idlePending } from './pending-idle.js';
import { pastCapNote } from './planned-sample.js';
import { contextFor, type Ports } from './ports.js';
import { restoreEnd } from './restore-end.js';
import { tick } from './tick.js';
import type { Release } from './types.js';
import { checkDeclared } from './undeclared-models.js';
import { RunLeases, slowestLookMs, withLease } from './watch-lease.js';
import { WithdrawalRetries, withdrawalRetryMs } from './withdrawal-retries.js';

export interface WatchOptions {
  /** `watch`: loop until every release is decided or `maxWaitMs` passes; `tick`: one pass. */
  mode: 'watch' | 'tick';
  maxWaitMs: number;
}

/**
 * Drive the analysing releases forward, saving each new state before anything else
 * happens, so a killed job resumes where it stopped. Each release is looked at at its own model's
 * `interval`. A release still analysing when the time budget ends, or when the next pass could end
 * after it, is left as it is, resumable by the next run. One this run's config cannot act on is
 * left as it is too, and the run fails on it once it drove the others (LeftAloneError, with every
 * release as it left them).
 */
export async function driveReleases(
  config: Config,
  releases: Release[],
  ports: Ports,
  opts: WatchOptions,
): Promise<Release[]> {
  // A candidate that may be live where this run's config cannot act on it (its model no longer
  // named, or deployed on another target) is left as it is; the others are driven, written where
  // other runs read them, and then the run fails naming it (LeftAloneError).
  const problems: string[] = [];
  const drivable = releases.filter((r) => {
    try {
      checkDeclared(config, [r]);
      const model = config.models[r.model];
      if (model) checkSameTarget(r, ports.targetFor(model));
      return true;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return false;
    }
  });
  if (problems.length === 0) return driveChecked(config, releases, ports, opts);
  const driven = drivable.length > 0 ? await driveChecked(config, drivable, ports, opts) : [];
  const all = releases.map((r) => driven[drivable.indexOf(r)] ?? r);
  if (drivable.length > 0) await ports.onProgress?.(all, { force: true });
  throw new LeftAloneError(problems, all);
}

/** driveReleases, over releases this run's config can act on. */
async function driveChecked(
  config: Config,
  releases: Release[],
  ports: Ports,
  opts: WatchOptions,
): Promise<Release[]> {
  const current = [...releases];
  // Releases another run ended, finished or drives now: this run leaves them as that run does.
  const givenUp = new Set<number>();
  // Rethrows any error but another run's end (EndedElsewhereError). The release's traffic and record
  // are as that run left them: this run neither touches nor saves them, and takes that run's record.
  const giveUp = (i: number, err: unknown) => {
    if (!(err instanceof EndedElsewhereError)) throw err;
    ports.log.warn(err.message);
    current[i] = err.release;
    givenUp.add(i);
  };
  // A ledger that checks the record under its lock (a local file) refuses a save over another
  // run's change as the checks above do: handed to that run alike, not the run failing on it.
  const saved = async (i: number, release: Release): Promise<boolean> => {
    try {
      await ports.ledger.saveRelease(release);
      return true;
    } catch (err) {
      giveUp(i, err);
      return false;
    }
  };
  const started = ports.clock.now();
  // In watch mode, the leases this run records on the releases it drives, renewed as it watches:
  // schedule ticks leave them to it meanwhile (watch-lease.ts). A one-pass run records none, and
  // clears one a lost job left. A lease covers one pass over them all, each at its slowest. The run
  // starts no pass after its max-wait (nor one it expects to end after it), so it stops within its
  // max-wait and one pass: the leases' end.
  const passMs = current.reduce((sum, r) => {
    const model = config.models[r.model];
    const looked = r.status === 'analysing' || r.withdrawPending || idlePending(r);
    return model && looked ? sum + slowestLookMs(model) : sum;
  }, 0);
  const leases = opts.mode === 'watch' ? new RunLeases(started + opts.maxWaitMs + passMs, passMs) : undefined;
  if (leases) {
    // Under the lease from the first look on (it deploys, which may take the whole settle-timeout),
    // recorded where ticks read it before that look.
    let taken = false;
    for (const [i, r] of current.entries()) {
      const model = config.models[r.model];
      if (!model || r.status !== 'analysing') continue;
      try {
        await checkNotEnded(r, ports.ledger);
      } catch (err) {
        giveUp(i, err);
        continue;
      }
      // With the target its candidate is to be deployed on, recorded before it is.
      const deploying = deployingOn(r, ports.targetFor(model));
      current[i] = withLease(deploying, leases.renew(i, started, model.strategy.intervalMs));
      if (await saved(i, current[i])) taken = true;
    }
    if (taken) await ports.onProgress?.(current, { force: true });
  }
  // In watch mode, a withdrawal the platform refused is tried again within the job, backing off.
  const retries = new WithdrawalRetries(started + opts.maxWaitMs);
  // The last warning each release's refused withdrawal gave, by index.
  const warned = new Map<number, string>();
  // The phase each A/B last said it will likely run to its cap in, by index: said once a phase.
  const capNoted = new Map<number, number>();
  // When each analysing release is next due for a look, and how long its looks took.
  const looks = new LookSchedule();
  for (;;) {
    for (const [i, release] of current.entries()) {
      const model = config.models[release.model];
      if (!model || givenUp.has(i)) continue;
      if (release.withdrawPending) {
        if (!retries.due(i, ports.clock.now())) continue;
        // Its end is recorded, but its candidate may still get live traffic: try withdrawing again,
        // unless another run moved the model on meanwhile (a new push's release may serve the same
        // version as a candidate now): that run's traffic and record stand.
        let next: Release;
        let defect: Error | undefined;
        try {
          await checkNotEnded(release, ports.ledger);
          const ctx = guarded(contextFor(model, ports), { release }, ports.ledger);
          // With the ledger: a rollback to the candidate recorded since settles it, not `from` put back.
          ({ release: next, defect } = await retryWithdrawal(release, ctx, ports.ledger));
          await checkNotEnded(release, ports.ledger);
        } catch (err) {
          giveUp(i, err);
          continue;
        }
        if (!(await saved(i, next))) continue;
        if (defect) {
          // A bug in model-gate, not the platform's answer: trying again would meet it again. The
          // run fails on it (a tick reports it: schedule-defects.ts), the withdrawal still pending
          // for the next run, recorded where other runs read it (a PR's comment) first.
          current[i] = next;
          await ports.onProgress?.(current, { force: true });
          throw defect;
        }
        if (next.withdrawPending) {
          // Said once, and again only when it says something new: not once per try.
          const warning = `${next.model}: ${next.to} may still get live traffic: ${next.reason}`;
          if (warned.get(i) !== warning) ports.log.warn(warning);
          warned.set(i, warning);
          retries.failed(i, ports.clock.now(), withdrawalRetryMs(model));
        } else ports.log.info(`${next.model}: ${next.reason}`);
        current[i] = next;
        continue;
      }
      // Ready, its change to idle not confirmed (a re-run of the job that recorded it): finished here.
      if (idlePending(release)) {
        const { release: idled, refused } = await finishIdle(release, contextFor(model, ports), ports.ledger);
        if (refused)
          ports.log.warn(
            `${model.name}: ${idleNotTaken(release.to, refused, 'a re-run of this job, its post step or the next schedule tick')}`,
          );
        else if (idled !== release) ports.log.info(`${model.name}: ${idleFinished(release.to)}`);
        current[i] = idled;
        continue;
      }
      if (release.status !== 'analysing') continue;
      const lookStart = ports.clock.now();
      if (!looks.due(i, lookStart)) continue;
      // What this run last recorded of the release: the decision a tick records before its traffic
      // change (a rollback, a pass) is this run's, not another run's end of it.
      const own: Own = { release, unlooked: [] };
      let next: Release | undefined;
      try {
        await checkNotEnded(release, ports.ledger);
        const ctx = guarded(contextFor(model, ports), own, ports.ledger);
        const recorded = (r: Release) => {
          current[i] = r;
          return current;
        };
        // The target the candidate is deployed on, recorded with the step that deploys it.
        const deploying = deployingOn(release, ctx.target);
        // A rollback's withdrawal made after its record was refused is read back patiently too.
        const withdrawing = withdrawingTarget(ctx);
        const observe = ports.observe;
        next = await tick(deploying, {
          ...ctx,
          mode: opts.mode,
          record: recordDecision(own, ports, recorded, withdrawing),
          ...(observe ? { observe: (line: ObservationLine) => observe(release, line) } : {}),
        });
        // A look after a traffic change that GitHub did not answer is made again, the tick over.
        await lookAgainAtUnlooked(own, ports.ledger);
        // Looking took a while: another run may have moved the release on meanwhile (the ledger
        // reads its record again for a release this run has not saved yet, a schedule tick's). A
        // step that ended it did so by a checked traffic change and records what this run did: a
        // tick that saw the candidate withdrawn meanwhile and ended it must not have the last word.
        // Checked against what this run last recorded: a switch to the next phase is recorded first.
        if (next.status === 'analysing') await checkNotEnded(own.release, ports.ledger);
      } catch (err) {
        // A read after the tick's traffic change failed (GitHub not answering, even when tried
        // again): the change landed all the same. Its step is recorded (the comment, the commit
        // status) before the run fails on it: else they would say the step before, and the next run
        // would judge that step again and take the step again. Without a lease: this run stops.
        if (next && !(err instanceof EndedElsewhereError)) {
          current[i] = withLease(next, undefined);
          if (await saved(i, current[i])) await ports.onProgress?.(current, { force: true });
        }
        giveUp(i, err);
        continue;
      }
      current[i] = withLease(next, leases?.renew(i, ports.clock.now(), model.strategy.intervalMs));
      if (!(await saved(i, current[i]))) continue;
      // A renewed lease reaches the comment at once: the old one may end before its next refresh. So
      // does a switch this tick recorded pending, now confirmed: a run lost before the next write
      // would leave the next run to enter that phase again (tick.ts switchAgain).
      if (current[i].watchedUntil !== own.release.watchedUntil || own.release.switchPending)
        await ports.onProgress?.(current, { force: true });
      if (next.status !== release.status || next.phase !== release.phase) {
        // Before its line: a phase entered opens its step-log group (action/phase-log.ts), which
        // is to hold that phase's line, not the one of the phase before.
        ports.onPhaseEntered?.(current);
        ports.log.info(`${next.model}: ${next.reason}`);
      }
      // An A/B whose rate so far reaches its planned sample only past the cap: its end there is no surprise.
      const capNote = opts.mode === 'watch' ? pastCapNote(next, model.strategy) : undefined;
      if (capNote && capNoted.get(i) !== next.phase) {
        capNoted.set(i, next.phase);
        ports.log.info(`${next.model}: ${capNote}`);
      }
      // Its rollback refused: tried again after a wait (watch mode), as a pending withdrawal.
      if (next.withdrawPending) retries.failed(i, ports.clock.now(), withdrawalRetryMs(model));
      looks.looked(i, lookStart, ports.clock.now(), model.strategy.intervalMs);
    }
    await ports.onProgress?.(current);
    const driven = (keep: (r: Release) => boolean) =>
      current.flatMap((r, i) => {
        const model = config.models[r.model];
        return model && keep(r) && !givenUp.has(i) ? [{ i, model }] : [];
      });
    const analysing = driven((r) => r.status === 'analysing');
    const pending = driven((r) => r.withdrawPending === true).map(({ i }) => i);
    const retryAt = opts.mode === 'watch' ? retries.nextAt(pending) : undefined;
    if (opts.mode === 'tick' || (analysing.length === 0 && retryAt === undefined)) return current;
    const now = ports.clock.now();
    const retryIn = retryAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, retryAt - now);
    if (analysing.length === 0) {
      await ports.clock.sleep(retryIn);
      continue;
    }
    const watched = analysing.map(({ i }) => i);
    const lookIn = looks.nextAt(watched, now) - now;
    // Never start a pass that could end past the budget: a job killed at its timeout-minutes mid-look
    // (a traffic change the platform is slow to confirm) has its post step withdraw the candidate,
    // losing the analysis. A pending withdrawal counts too: a pass tries it again.
    const passTakes = looks.passMs(watched.concat(pending));
    const left = opts.maxWaitMs - (now - started);
    if (left <= 0 || lookIn + passTakes > left) {
      const still = analysing.map(({ model }) => model.name).join(', ');
      ports.log.warn(
        `${budgetEnd(left, lookIn, passTakes)} with ${still} still analysing: the next run resumes`,
      );
      // This run stops watching: the next tick need not wait for its lease to end.
      for (const [i, r] of current.entries()) {
        if (givenUp.has(i) || !leases?.holds(i, r)) continue;
        // A record another run changed since this run's last save stays as that run left it.
        const theirs = await ports.ledger.endedElsewhere?.(r, false);
        current[i] = theirs ?? withLease(r, undefined);
        if (!theirs) await saved(i, current[i]);
      }
      return current;
    }
    await ports.clock.sleep(Math.min(lookIn, retryIn));
  }
}

/**
 * Why a watch stops with `left` of its budget: the next look, `lookIn` away, and the pass it starts
 * (`passMs` long, as its looks have taken so far) would end past it.
 */
function budgetEnd(left: number, lookIn: number, passMs: number): string {
  if (left <= 0) return 'time budget (max-wait) reached';
  // A clock difference, in whole seconds rounded down: rounded up, 29.6s left would read as
  // the 30s interval it is too short for.
  const shown = `max-wait, ${formatElapsed(left >= 1000 ? Math.floor(left / 1000) * 1000 : left)} left`;
  const next = lookIn > 0 ? `the next look (in ${formatElapsed(lookIn)})` : 'the next look';
  if (lookIn > left) return `${next} would be past the time budget (${shown})`;
  return `${next} could end past the time budget (${shown}; a pass has taken up to ${formatElapsed(passMs)})`;
}

/**
 * A tick's `record` (tick.ts): saves the decision before its traffic change, and writes it where
 * other runs read it (a PR's comment) at once: GitHub refusing either stops a change that keeps or
 * gives the candidate traffic (a pass), and the next run judges again. A rollback saved but not
 * written (its write refused, even after waiting) is withdrawn all the same before the run fails on
 * the refusal: withdrawing cannot undo another run's end, the run's last report writes the saved
 * record, and a candidate judged bad must not keep its traffic until the next tick. One the ledger
 * would not save changes no traffic: no report of this run could say why the candidate lost its
 * traffic, and the next run would end it as withdrawn by hand (withdrawn-meanwhile.ts). Not over
 * another run's end of the release: its word stands, as before any traffic change (guarded).
 * `own` then holds the decision, so the checks before this run's traffic changes (through
 * `target`, guarded) take it for this run's; `recorded` puts it among the run's releases, which it
 * reports.
 */
const recordDecision =
  (own: Own, ports: Ports, recorded: (release: Release) => Release[], target: Target) =>
  async (decided: Release): Promise<void> => {
    await lookAgainAtUnlooked(own, ports.ledger);
    await checkNotEnded(own.release, ports.ledger, true);
    // A switch to the next phase (still analysing) keeps this run's lease: ticks leave it to this run.
    const release = withLease(decided, decided.watchedUntil);
    await ports.ledger.saveRelease(release);
    own.release = release;
    try {
      await ports.onProgress?.(recorded(release), { force: true });
    } catch (err) {
      // A rollback's first record (its withdrawal under way), not one saying its withdrawal failed.
      const withdraws = release.withdrawPending && !release.ending?.withdrawFailed;
      if (withdraws && !(err instanceof EndedElsewhereError)) await withdrawUnwritten(release, target, ports);
      throw err;
    }
  };

/**
 * The withdrawal of a rollback saved but not written where other runs read it: made, and the run
 * then fails on the refusal. A later write of this run (a schedule tick's last report) or the next
 * run records it (retryWithdrawal, or withdrawn-meanwhile.ts where no record survived).
 */
async function withdrawUnwritten(release: Release, target: Target, ports: Ports): Promise<void> {
  const serves = release.ending?.serves ?? release.from;
  try {
    await reconcile(target, withdrawTraffic(serves));
    ports.log.warn(
      `${release.model}: ${release.to} withdrawn (${serves} alone serves), though GitHub did not take the record of its rollback: a later write of this run, or the next run, records it`,
    );
  } catch (err) {
    // The record's refusal is what the run fails on; another run's end found meanwhile stands.
    if (err instanceof EndedElsewhereError) throw err;
    if (!(err instanceof TargetError) && !isGitHubError(err)) throw err;
    const why = err instanceof TargetError ? err.message : describeGitHubError(err);
    ports.log.warn(
      `${release.model}: ${release.to} may still get live traffic: withdrawing it failed: ${why}`,
    );
  }
}

/**
 * What this run last recorded of a release it drives (`release`), and, for a tick, the traffic
 * changes whose look after them GitHub did not answer (`unlooked`): made again before the next
 * record or change, and once the tick is over (driveReleases).
 */
interface Own {
  release: Release;
  unlooked?: Unlooked[];
}

/** A change to `wrote` that gave `driven`'s candidate live traffic, not yet checked against another run's end. */
interface Unlooked {
  ctx: ReleaseContext;
  wrote: TrafficState;
  driven: Release;
}

/** The looks `own.unlooked` holds, made again (checkNotUndone), each dropped once made. */
async function lookAgainAtUnlooked(own: Own, ledger: Ledger): Promise<void> {
  const unlooked = own.unlooked ?? [];
  for (let first = unlooked[0]; first; first = unlooked[0]) {
    await checkNotUndone(first.ctx, first.wrote, first.driven, ledger);
    unlooked.shift();
  }
}

/**
 * Throws EndedElsewhereError when another run ended, finished, moved on or superseded `release`;
 * `fresh`: reads the record again (before a change).
 */
async function checkNotEnded(release: Release, ledger: Ledger, fresh = false): Promise<void> {
  const theirs = await ledger.endedElsewhere?.(release, fresh);
  if (theirs) throw new EndedElsewhereError(theirs, release);
}

/**
 * The release's target, checking before every traffic change that no other run ended the release
 * meanwhile: a rollback by workflow_dispatch while this job analyses must stay rolled back. The
 * check and the change are two calls: should another run end the release between them, this run's
 * change may land after that run's, so one giving the candidate traffic looks again after, and puts
 * back what serves by that run's record (`restoreEnd`) before giving the release up. That look,
 * GitHub not answering it, is made again before the next record or change and once the tick is over.
 */
function guarded(ctx: ReleaseContext, own: Own, ledger: Ledger): ReleaseContext {
  if (!ledger.endedElsewhere) return ctx;
  const { target } = ctx;
  // Everything but write is the target's own (its description, how it splits an A/B, its read).
  const checked: Target = Object.create(target, {
    write: {
      value: async (desired: TrafficState) => {
        const { release } = own;
        // A change after one whose look GitHub did not answer: that look first, its end put back.
        await lookAgainAtUnlooked(own, ledger);
        const theirs = await ledger.endedElsewhere?.(release, true);
        if (theirs) throw new EndedElsewhereError(theirs, release);
        const readBack = await target.write(desired);
        // Only a change that gives the candidate live traffic can undo another run's end; one that
        // withdraws it is this run's own end, which it records (driveReleases).
        if (!hasLiveTraffic(desired, release.to)) return readBack;
        const lookAgain = () => checkNotUndone(ctx, desired, release, ledger, own.unlooked);
        if (!readBack) {
          await lookAgain();
          return;
        }
        // The read-back keeps the change's deadline: the ledger read (a GitHub call) comes after
        // it, not before, or it would use up the time a change that settled late has to read.
        const checkedReadBack: ReadBack = async (known) => {
          let observed: TrafficState;
          try {
            observed = await readBack(known);
          } catch (err) {
            // Another run's end still wins over a failed read: theirs is put back.
            await lookAgain();
            throw err;
          }
          await lookAgain();
          return observed;
        };
        return checkedReadBack;
      },
    },
  });
  return { ...ctx, target: checked };
}

/**
 * After this run's change to `wrote` gave `driven`'s candidate live traffic: throws
 * EndedElsewhereError when another run ended the release meanwhile, having put back what serves by
 * that run's record. A read GitHub does not answer goes to `unanswered`, where given, not thrown:
 * the change landed, so the tick goes on to the step it took, recorded even should the look fail
 * again when made again (driveReleases).
 */
async function checkNotUndone(
  ctx: ReleaseContext,
  wrote: TrafficState,
  driven: Release,
  ledger: Ledger,
  unanswered?: Unlooked[],
) {
  let late: Release | undefined;
  try {
    late = await ledger.endedElsewhere?.(driven, true);
  } catch (err) {
    if (!unanswered) throw err;
    unanswered.push({ ctx, wrote, driven });
    return;
  }
  if (!late) return;
  const gaveUp = new EndedElsewhereError(late, driven);
  try {
    await restoreEnd(ctx, wrote, driven, late);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    gaveUp.message += `; this run's traffic change (${describeTraffic(wrote)}) may have landed after that run's, and putting that run's back failed: ${err.message}: ${driven.to} may still get live traffic, run that command again`;
  }
  throw gaveUp;
}
