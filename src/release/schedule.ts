import type { Config } from '../config/types.js';
import { ModelGateError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { LedgerStateError } from '../ledger/ledger.js';
import { modelNamed } from './commands.js';
import { watchDrift } from './drift-watch.js';
import { wouldDrive } from './dry-run.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import { contextFor, type Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import { retireBlue } from './retire-blue.js';
import { candidateMayBeLive, type Release } from './types.js';
import { driveReleases, type WatchOptions } from './watch.js';
import { leaseNote } from './watch-lease.js';
import { endIfWithdrawn } from './withdrawn-meanwhile.js';

/**
 * `schedule` (command tick): advance every release still analysing, whichever PR it
 * belongs to, by one bounded pass (the action and the CLI always ask one); retire the blue of a blue-green
 * promotion older than its `rollback-window`; then run the drift watches of the stable
 * models, recording drift and noting it on the PR that introduced the version. A defect met while
 * driving one release ends that release, its candidate withdrawn (driveEach), and fails the run
 * once every model had its tick.
 */
export async function handleSchedule(
  config: Config,
  ports: Ports,
  opts: WatchOptions & { only?: string; dryRun?: boolean },
): Promise<RunResult> {
  // An unknown `model` input is an error naming the known models, not an idle tick.
  if (opts.only !== undefined) modelNamed(config, opts.only);
  const analysing: Release[] = [];
  const skipped: RunResult['skipped'] = [];
  // Models whose canary slot a release holds (analysing, ready, or its withdrawal pending).
  const held = new Set<string>();
  // Models whose release a running job watches (its lease): this tick leaves them to that job.
  const watched = new Set<string>();
  for (const name of opts.only ? [opts.only] : Object.keys(config.models)) {
    let holder: Release | undefined;
    try {
      holder = await ports.ledger.canaryHolder(name);
    } catch (err) {
      if (!(err instanceof LedgerStateError)) throw err;
      // One edited comment must not stop the other models' ticks, their withdrawals included.
      held.add(name);
      ports.log.warn(`${name}: ${err.message}`);
      skipped.push({ model: name, why: err.message, kind: 'note' });
      continue;
    }
    if (holder) held.add(name);
    if (!holder || !candidateMayBeLive(holder)) continue;
    // Two drivers would fight (each under its own config: the PR's, the default branch's) and take
    // each other's traffic changes for withdrawals. A dispatch rollback or abort does not ask. The
    // lease holds even when the platform shows the candidate withdrawn: the job may be mid-change
    // on a platform slow to confirm it (ending it here would free the canary slot under it). A
    // cancelled job whose post step withdrew it but could not record it (GitHub down) leaves its
    // lease behind; the lease is short (watch-lease.ts), and the first tick after it records that.
    const leased = leaseNote(holder, ports.clock.now());
    if (leased) {
      watched.add(name);
      ports.log.info(`${name}: ${leased}`);
      skipped.push({ model: name, why: leased, kind: 'note' });
      continue;
    }
    // Also a release whose candidate's withdrawal failed: the tick tries it again. A dry run
    // records nothing, so it does not end a release that lost its traffic either.
    analysing.push(opts.dryRun ? holder : await endIfWithdrawn(config, holder, ports));
  }
  // A dry run changes no traffic and records nothing: it says what the tick would do.
  if (opts.dryRun)
    skipped.push(...analysing.map((r) => ({ model: r.model, why: wouldDrive(r), kind: 'dry-run' as const })));
  const drive = analysing.length > 0 && !opts.dryRun;
  const none = { releases: [], defects: [] };
  const { releases, defects } = drive ? await driveEach(config, analysing, ports, opts) : none;
  const result: RunResult = { releases, skipped, drift: [], notify: [] };
  for (const model of Object.values(config.models)) {
    if (opts.only && model.name !== opts.only) continue;
    // A release holding the slot owns the model's traffic: retiring blue must not touch it.
    const retired = held.has(model.name) ? undefined : await retireBlue(model, ports, opts);
    // A dry run's line is what it would do: it retires nothing.
    if (retired)
      result.skipped.push({ model: model.name, why: retired, kind: opts.dryRun ? 'dry-run' : 'note' });
    const passed = opts.dryRun ? analysing : releases;
    if (watched.has(model.name) || passed.some((r) => r.model === model.name && r.status === 'analysing'))
      continue;
    const report = await watchDrift(model, ports);
    if (!report) continue;
    result.drift?.push(report);
    if (!report.drifted || opts.dryRun) continue;
    await ports.ledger.recordDrift(report);
    const introducedBy = (await ports.ledger.history(model.name)).findLast(
      (e) => e.version === report.version,
    )?.pr;
    if (introducedBy !== undefined)
      result.notify?.push({ pr: introducedBy, model: model.name, why: report.note });
  }
  if (analysing.length === 0 && watched.size === 0 && result.drift?.length === 0) {
    result.skipped.push({ model: '*', why: 'no release is analysing', kind: 'note' });
  }
  // The run fails on a defect, so that it is seen and reported, once every model had its tick.
  if (defects[0] !== undefined) throw defects[0];
  return result;
}

/**
 * driveReleases, one release after another: a defect met while driving one (an error of no class
 * model-gate knows: a TypeError, a plain Error from a bug) would stop the run there, its candidate's
 * live traffic on and the models after it not driven, and every later tick the same way: no post
 * step follows a tick. That release is ended instead (stopOnDefect), the others are driven, and the
 * defects are returned for the run to fail on. Any other error propagates as before. A tick is one
 * pass, reported once, as one driveReleases call over them all makes.
 */
async function driveEach(
  config: Config,
  analysing: Release[],
  ports: Ports,
  opts: WatchOptions,
): Promise<{ releases: Release[]; defects: Error[] }> {
  const quiet: Ports = { ...ports, onProgress: undefined };
  const releases: Release[] = [];
  const defects: Error[] = [];
  for (const release of analysing) {
    try {
      releases.push(...(await driveReleases(config, [release], quiet, { ...opts, mode: 'tick' })));
    } catch (err) {
      if (!isDefect(err)) throw err;
      const defect = err instanceof Error ? err : new Error(String(err));
      defects.push(defect);
      releases.push(await stopOnDefect(config, release, defect, ports));
    }
  }
  await ports.onProgress?.(releases);
  return { releases, defects };
}

/**
 * A defect in model-gate: neither one of its failure classes (ModelGateError: a platform, metrics,
 * ledger or input failure, each handled where it is met) nor an answer of GitHub's API (an outage,
 * a rate limit: the next tick resumes the release). GitHub's answer told as isGitHubError tells it,
 * not imported: its module loads the GitHub client, which the engine does not.
 */
const isDefect = (err: unknown): boolean => {
  const answer = err as { status?: unknown; request?: unknown } | undefined;
  const fromGitHub = typeof answer?.status === 'number' && typeof answer.request === 'object';
  return !(err instanceof ModelGateError) && !fromGitHub;
};

/**
 * End `release` as aborted after `defect` stopped its tick, its candidate withdrawn, the end
 * recorded first (endThenWithdraw): should this run stop too, the next tick finishes the
 * withdrawal. A record another run changed meanwhile (its end, its step) stands, and so does an
 * end already recorded (its withdrawal pending: the next tick tries it again). Returns the release
 * as recorded; where recording fails too, as it was (the run fails on the defect either way).
 */
async function stopOnDefect(config: Config, release: Release, defect: Error, ports: Ports): Promise<Release> {
  const stopped = `model-gate stopped on an unexpected error: ${defect.message}`;
  const model = config.models[release.model];
  if (!model || release.status !== 'analysing') {
    ports.log.warn(redact(`${release.model}: ${stopped}`));
    return release;
  }
  try {
    const theirs = await ports.ledger.endedElsewhere?.(release, true);
    if (theirs) {
      ports.log.warn(redact(`${release.model}: ${stopped}; another run has moved the release on since`));
      return theirs;
    }
    // The record and the PR comment go to GitHub's API as they are: the runner masks only the log.
    const end = {
      status: 'aborted' as const,
      why: redact(`${stopped}; ${release.to} withdrawn; please report it`),
    };
    const ctx = contextFor(model, ports);
    const { release: ended } = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
    ports.log.warn(`${release.model}: ${ended.reason}`);
    return ended;
  } catch (err) {
    const failed = `ending the release failed too (${(err as Error).message}): ${release.to} may still get live traffic`;
    ports.log.warn(redact(`${release.model}: ${stopped}; ${failed}`));
    return release;
  }
}
