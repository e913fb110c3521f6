import type { Config, ModelConfig } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import { LedgerStateError } from '../ledger/ledger.js';
import { checkPullRequest, settledForItsPr } from './closed-meanwhile.js';
import { modelNamed } from './commands.js';
import { defectOf, reportIt, stoppedOn } from './defects.js';
import { withOpenDrift, withRecord } from './drift-alert.js';
import { type DriftReport, driftNotChecked, watchDrift } from './drift-watch.js';
import { wouldDrive } from './dry-run.js';
import { promoteMergedReady } from './merged-ready.js';
import { notDriven, stopsOneModel } from './not-driven.js';
import type { Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import { settleReady, settlesReady } from './ready-in-ticks.js';
import { retireBlue } from './retire-blue.js';
import { stopOnDefect } from './schedule-defects.js';
import { candidateMayBeLive, holdsSlot, type Release } from './types.js';
import { undeclaredInTick } from './undeclared-models.js';
import { driveReleases, type WatchOptions } from './watch.js';
import { leaseNote } from './watch-lease.js';
import { endIfWithdrawn } from './withdrawn-meanwhile.js';

/**
 * `schedule` (command tick): advance every release still analysing, whichever PR it
 * belongs to, by one bounded pass (the action and the CLI always ask one); retire the blue of a blue-green
 * promotion older than its `rollback-window`; then run the drift watches of the stable
 * models, recording a drift's start (noted on the PR that introduced the version) and its end.
 * Each model's part stands alone: a defect met in one (reading its release, driving it, retiring
 * its blue, its drift watch) is reported naming the model, the other models still have their
 * tick, and the run fails on it at the end. Only a release whose candidate may be live is ended for it, its candidate
 * withdrawn (stopOnDefect); a defect in retiring blue or in a drift watch changes no traffic.
 * So does GitHub not answering for one model, or a config that no longer describes its candidate
 * (deployed on another target: deployed-target.ts): that model is left as it is (not-driven.ts).
 * A candidate that may be live, of a model the config no longer names, fails the run at the end
 * too (undeclared-models.ts).
 */
export async function handleSchedule(
  config: Config,
  ports: Ports,
  opts: ScheduleOptions,
): Promise<RunResult> {
  const { defects, ...result } = await runSchedule(config, ports, opts);
  if (defects[0] !== undefined) throw defects[0];
  return result;
}

type ScheduleOptions = WatchOptions & { only?: string; dryRun?: boolean };

/**
 * A schedule tick's result, and what the run fails on at the end, in the order met (none: an empty
 * list): the defects met in it, and each model's pass a known failure stopped (NotDrivenError).
 */
export interface ScheduleResult extends RunResult {
  defects: Error[];
}

export { NotDrivenError } from './not-driven.js';

/**
 * handleSchedule, returning the defects with the result instead of throwing the first: the action
 * publishes the result (the job summary, the lines of skipped models, drift noted on other PRs)
 * before it fails the run on them.
 */
export async function runSchedule(
  config: Config,
  ports: Ports,
  opts: ScheduleOptions,
): Promise<ScheduleResult> {
  // An unknown `model` input is an error naming the known models, not an idle tick.
  if (opts.only !== undefined) modelNamed(config, opts.only);
  const names = opts.only ? [opts.only] : Object.keys(config.models);
  const defects: Error[] = [];
  const found = await readHolders(config, names, ports, opts, defects);
  const { analysing, stopped, skipped, held, watched, unread } = found;
  const undeclared = await noteUndeclared(config, ports, skipped, defects);
  // A dry run changes no traffic and records nothing: it says what the tick would do.
  if (opts.dryRun)
    skipped.push(...analysing.map((r) => ({ model: r.model, why: wouldDrive(r), kind: 'dry-run' as const })));
  const drive = analysing.length > 0 && !opts.dryRun;
  // Ready releases a run left unsettled: their change to idle, a merged PR's promotion.
  const ready = await settleReady(config, found.ready, ports, opts, defects);
  skipped.push(...ready.skipped);
  // A merged PR's release (on-merge: analyze-then-promote) this pass made ready is promoted, and
  // one a tick before could not promote is tried again.
  const tornDown: NonNullable<RunResult['notify']> = [];
  const met = { skipped, defects, notify: tornDown };
  const passed = drive ? await driveEach(config, analysing, ports, opts, met) : [];
  let merged: Awaited<ReturnType<typeof promoteMergedReady>>;
  try {
    merged = await promoteMergedReady(config, passed, ports, ready.again);
  } catch (err) {
    // What this pass changed on the platforms lives in memory until reported: on record first.
    // The run fails on `err` whether or not GitHub takes that report.
    const sofar = [...stopped, ...ready.releases, ...passed];
    if (sofar.length > 0) await Promise.resolve(ports.onProgress?.(sofar)).catch(() => {});
    throw err;
  }
  // Analysed on another target than this config's: left ready, the run fails on it at the end.
  for (const { model, error } of merged.refused) {
    const { line } = notDriven(model, error, ports.log);
    skipped.push(line);
    defects.push(error);
  }
  const driven = merged.releases;
  const releases = [...stopped, ...ready.releases, ...driven];
  // The drift watch names the candidate holding the slot as this pass left it.
  for (const r of releases) found.holders.set(r.model, holdsSlot(r) ? r : undefined);
  // One report of the pass, as one driveReleases call over them all makes.
  if (releases.length > 0) await ports.onProgress?.(releases);
  const notify = [...found.notify, ...tornDown, ...merged.notify];
  const result: RunResult = { releases, skipped, drift: [], notify };
  for (const model of Object.values(config.models)) {
    if (!names.includes(model.name)) continue;
    // A release holding the slot owns the model's traffic: retiring blue must not touch it.
    const retired = held.has(model.name) ? undefined : await retireBlueOf(model, ports, opts, defects);
    // A dry run's line is what it would do: it retires nothing.
    if (retired)
      result.skipped.push({ model: model.name, why: retired, kind: opts.dryRun ? 'dry-run' : 'note' });
    // A release still analysing does not keep the watch away: it says why it does not look while a
    // candidate takes live traffic, and looks while the stable version serves callers alone.
    if (watched.has(model.name) || unread.has(model.name)) continue;
    await driftOf(model, ports, opts, result, defects, found.holders);
  }
  if (analysing.length === 0 && watched.size === 0 && result.drift?.length === 0 && undeclared === 0) {
    result.skipped.push({ model: '*', why: 'no release is analysing', kind: 'note' });
  }
  // The run fails on a defect, so that it is seen and reported, once every model had its tick.
  return { ...result, defects };
}

/**
 * A release whose candidate may be live, of a model this config no longer names (removed or
 * renamed), as the ledger lists them (undeclared-models.ts): no run under this config drives or
 * withdraws it. A line says so for each, the other models still have their tick, and the run fails
 * on it at the end. Returns how many there are.
 */
async function noteUndeclared(
  config: Config,
  ports: Ports,
  skipped: RunResult['skipped'],
  defects: Error[],
): Promise<number> {
  const undeclared = await undeclaredInTick(config, ports.ledger);
  for (const { model, why } of undeclared) {
    ports.log.warn(`${model}: ${why}`);
    skipped.push({ model, why, kind: 'note' });
  }
  if (undeclared.length > 0)
    defects.push(new ConfigError(undeclared.map(({ model, why }) => `${model}: ${why}`)));
  return undeclared.length;
}

/** What the tick found of each model's release before driving any. */
interface Holders {
  /** Releases to drive one pass (a dry run: that it would). */
  analysing: Release[];
  /** Releases a defect met here ended (stopOnDefect). */
  stopped: Release[];
  skipped: RunResult['skipped'];
  /** Models whose canary slot a release holds (analysing, ready, or its withdrawal pending), or may. */
  held: Set<string>;
  /** Models whose release a running job watches (its lease): this tick leaves them to that job. */
  watched: Set<string>;
  /** Models whose release a defect kept from being read: this tick leaves them alone. */
  unread: Set<string>;
  /** Lines for the comments of the PRs whose releases the tick found (checkPullRequest). */
  notify: NonNullable<RunResult['notify']>;
  /** Ready releases left unsettled (settlesReady): a change to idle pending, a promotion due. */
  ready: Release[];
  /** Each model's release holding the slot as read (none: undefined), for its drift watch. */
  holders: Map<string, Release | undefined>;
}

/** Each model's canary holder, and whether this tick drives it; defects go to `defects`. */
async function readHolders(
  config: Config,
  names: string[],
  ports: Ports,
  opts: { dryRun?: boolean },
  defects: Error[],
): Promise<Holders> {
  const found: Holders = {
    analysing: [],
    stopped: [],
    skipped: [],
    held: new Set(),
    watched: new Set(),
    unread: new Set(),
    notify: [],
    ready: [],
    holders: new Map(),
  };
  // PRs GitHub says are merged with no merge on record: a release ended here says what works then.
  const merged = new Set<number>();
  /** Asks for the holder's PR (checkPullRequest): whether that ended it here, or a dry run would. */
  const endedByItsPr = async (release: Release): Promise<boolean> => {
    const pr = await checkPullRequest(config, release, ports, opts);
    if (pr.merged && release.pr !== undefined) merged.add(release.pr);
    if (pr.line) found.skipped.push(pr.line);
    if (pr.notify) found.notify.push(pr.notify);
    if (pr.ended) found.stopped.push(pr.ended);
    return pr.ended !== undefined || pr.line?.kind === 'dry-run';
  };
  for (const name of names) {
    let holder: Release | undefined;
    try {
      holder = await ports.ledger.canaryHolder(name);
    } catch (err) {
      const defect = defectOf(err, defects);
      const edited = err instanceof LedgerStateError;
      if (!defect && !edited && !stopsOneModel(err)) throw err;
      // One edited comment, GitHub not answering, or a defect reading one model's release, must not
      // stop the other models' ticks, their withdrawals included. Nothing is known of this one's
      // release, so it keeps the slot here: no blue retired; and no drift watched, unless it was
      // read and does not parse (an edited comment).
      found.held.add(name);
      found.holders.set(name, undefined);
      if (!edited) found.unread.add(name);
      if (!defect && !edited) {
        const { line, error } = notDriven(name, err, ports.log);
        found.skipped.push(line);
        defects.push(error);
        continue;
      }
      const why = defect
        ? reportIt(`${stoppedOn(defect, 'reading its release')}; this tick leaves ${name} as it is`)
        : (err as Error).message;
      ports.log.warn(`${name}: ${why}`);
      found.skipped.push({ model: name, why, kind: 'note' });
      continue;
    }
    found.holders.set(name, holder);
    if (holder) found.held.add(name);
    if (!holder) continue;
    try {
      if (!candidateMayBeLive(holder)) {
        // Ready, its PR closed unmerged though no close job recorded it: ended, the slot freed.
        if (await endedByItsPr(holder)) continue;
        if (settlesReady(holder, ports.clock.now())) found.ready.push(holder);
        continue;
      }
      // Two drivers would fight (each under its own config: the PR's, the default branch's) and take
      // each other's traffic changes for withdrawals. A dispatch rollback or abort does not ask. The
      // lease holds even when the platform shows the candidate withdrawn: the job may be mid-change
      // on a platform slow to confirm it (ending it here would free the canary slot under it). A
      // cancelled job whose post step withdrew it but could not record it (GitHub down) leaves its
      // lease behind; the lease is short (watch-lease.ts), and the first tick after it records that.
      const leased = leaseNote(holder, ports.clock.now());
      if (leased) {
        found.watched.add(name);
        ports.log.info(`${name}: ${leased}`);
        found.skipped.push({ model: name, why: leased, kind: 'note' });
        continue;
      }
      // Its PR closed unmerged, though no close job recorded it (GitHub was down): ended, withdrawn.
      if (await endedByItsPr(holder)) continue;
      // Also a release whose candidate's withdrawal failed: the tick tries it again. A dry run
      // records nothing, so it does not end a release that lost its traffic either.
      // A merged PR's release ended here tells that PR how to analyse it again (notedIfMerged).
      const notify = (line: (typeof found.notify)[number]) => found.notify.push(line);
      const pr = { merged: holder.pr !== undefined && merged.has(holder.pr) };
      found.analysing.push(opts.dryRun ? holder : await endIfWithdrawn(config, holder, ports, notify, pr));
    } catch (err) {
      const defect = defectOf(err, defects);
      if (!defect) {
        // GitHub not answering (asking for its PR, reading its record again), or its candidate
        // deployed on another target than this config's: left as it is, the others still ticked.
        if (!stopsOneModel(err)) throw err;
        const { line, error } = notDriven(name, err, ports.log);
        found.skipped.push(line);
        defects.push(error);
        continue;
      }
      // Its candidate may be live: ended and withdrawn, as a defect met driving it would (a ready
      // one is left as it is, saying so). A dry run changes nothing.
      if (!opts.dryRun) {
        found.stopped.push(await stopOnDefect(config, holder, defect, ports));
        continue;
      }
      const why = reportIt(stoppedOn(defect));
      ports.log.warn(`${name}: ${why}`);
      found.skipped.push({ model: name, why, kind: 'note' });
    }
  }
  return found;
}

/**
 * driveReleases, one release after another: a defect met while driving one (an error of no class
 * model-gate knows: a TypeError, a plain Error from a bug) would stop the run there, its candidate's
 * live traffic on and the models after it not driven, and every later tick the same way: no post
 * step follows a tick. That release is ended instead (stopOnDefect), the others are driven, and the
 * defect goes to `defects` for the run to fail on. Any other error (GitHub not answering while the
 * tick reads a release's comment) would stop the run with the earlier models' steps unrecorded (they
 * are written at the end of the pass): their candidates at the next step while their comments say
 * the last, and the next tick judging that step again. That model is left as it is instead, a line
 * says why, the others are driven, and the run fails on it at the end (NotDrivenError).
 */
async function driveEach(
  config: Config,
  analysing: Release[],
  ports: Ports,
  opts: WatchOptions,
  met: { skipped: RunResult['skipped']; defects: Error[]; notify: NonNullable<RunResult['notify']> },
): Promise<Release[]> {
  const { defects } = met;
  // Reported once, by the caller, for the whole pass; but a record other runs must read before a
  // traffic change (a tick's decision, recorded first) is written at once.
  const quiet: Ports = {
    ...ports,
    onProgress: (releases, o) => (o?.force ? ports.onProgress?.(releases, o) : undefined),
  };
  const releases: Release[] = [];
  for (const release of analysing) {
    let driven: Release[];
    try {
      driven = await driveReleases(config, [release], quiet, { ...opts, mode: 'tick' });
    } catch (err) {
      const defect = defectOf(err, defects);
      if (defect) {
        releases.push(await stopOnDefect(config, release, defect, ports));
        continue;
      }
      const { line, error } = notDriven(release.model, err, ports.log);
      met.skipped.push(line);
      defects.push(error);
      continue;
    }
    // A closed PR's candidate whose withdrawal this pass settled comes off its platform now; a
    // merged PR's release gets the record its merge job left to the run that settles it.
    for (const after of driven) {
      const { line, notify, saved } = await settledForItsPr(config, release, after, ports);
      releases.push(saved ?? after);
      if (line) met.skipped.push(line);
      if (notify) met.notify.push(notify);
    }
  }
  return releases;
}

/**
 * retireBlue, where a defect met in it only says so: what serves stays as it is (blue kept warm is
 * no risk), and the next tick tries again. Returns the summary's line, if any.
 */
async function retireBlueOf(
  model: ModelConfig,
  ports: Ports,
  opts: { dryRun?: boolean },
  defects: Error[],
): Promise<string | undefined> {
  try {
    return await retireBlue(model, ports, opts);
  } catch (err) {
    const defect = defectOf(err, defects);
    if (!defect) throw err;
    const why = reportIt(`${stoppedOn(defect, 'retiring blue')}; what serves is left as it is`);
    ports.log.warn(`${model.name}: ${why}`);
    return why;
  }
}

/**
 * The model's drift watch: a drift's start recorded and noted on the PR that introduced the
 * version, its end recorded, a drift on record already only reported (drift-alert.ts). A defect met
 * in it is reported as drift not checked (inconclusive): a drift watch changes no traffic.
 */
async function driftOf(
  model: ModelConfig,
  ports: Ports,
  opts: { dryRun?: boolean },
  result: RunResult,
  defects: Error[],
  holders: Map<string, Release | undefined>,
): Promise<void> {
  let report: DriftReport | undefined;
  try {
    // The slot's holder as this tick read it: the watch need not read it again.
    const read = holders.has(model.name) ? { holder: holders.get(model.name) } : undefined;
    report = await watchDrift(model, ports, read);
  } catch (err) {
    const defect = defectOf(err, defects);
    if (!defect) throw err;
    report = driftNotChecked(model.name, '', reportIt(stoppedOn(defect)));
    ports.log.warn(report.note);
  }
  if (!report) return;
  // Only a verdict (its sizes measured) begins or ends a drift; a look without one says the drift
  // on record goes on, if one does.
  if (report.inconclusive || report.sizes === undefined) {
    result.drift?.push(await openDriftOf(report, ports, defects));
    return;
  }
  const seen = report;
  try {
    // A drift alerts once, when it begins: a later look still drifted says since when, no more.
    // A dry run reads the record (an old drift is no new alert) and records nothing.
    const dryRun = opts.dryRun === true;
    const record = await ports.ledger.recordDrift(seen, ports.clock.now(), { dryRun });
    report = withRecord(seen, record);
    if (dryRun && (record.change === 'began' || record.change === 'ended'))
      report = { ...report, note: `${report.note}; dry run: not recorded, no PR told` };
    else if (record.change === 'began' || record.change === 'ended') {
      // The PR that brought the version in: a rollback to it names none, the promotion before does.
      // Told of the end too: its line replaces the alert's in that PR's comment (one line a model).
      const introducedBy = (await ports.ledger.history(model.name)).findLast(
        (e) => e.version === seen.version && e.pr !== undefined,
      )?.pr;
      const why = record.change === 'began' ? seen.note : report.note;
      if (introducedBy !== undefined) result.notify?.push({ pr: introducedBy, model: model.name, why });
    }
  } catch (err) {
    const defect = defectOf(err, defects);
    if (!defect) throw err;
    ports.log.warn(`${model.name}: ${reportIt(stoppedOn(defect, 'recording its drift'))}`);
  }
  result.drift?.push(report);
}

/**
 * A look without a verdict, saying whether a drift of its version is on record and not over
 * (withOpenDrift). The record unread (GitHub not answering) leaves the line as it is: the look
 * said already that it could not tell, and the next tick reads the record again.
 */
async function openDriftOf(report: DriftReport, ports: Ports, defects: Error[]): Promise<DriftReport> {
  try {
    return await withOpenDrift(ports.ledger, report, ports.clock.now());
  } catch (err) {
    const defect = defectOf(err, defects);
    const what = defect ? reportIt(stoppedOn(defect, 'reading its drift record')) : (err as Error).message;
    ports.log.warn(`${report.model}: whether a drift is on record could not be read: ${what}`);
    return report;
  }
}
