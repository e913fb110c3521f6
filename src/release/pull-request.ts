import type { Config, ModelConfig } from '../config/types.js';
import { checkOffline } from '../gates/offline-gate.js';
import { type LedgerEntry, SlotTakenError } from '../ledger/ledger.js';
import { type ChangedModel, type FileReader, findChangedModels } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { configChangeNotes, configFileOf, keepConfigChanges } from './config-change-note.js';
import type { DriftReport } from './drift-watch.js';
import { dryRunResult } from './dry-run.js';
import { earlierLiveOf } from './earlier-live.js';
import { announceEnd, endThenWithdraw, servesAfterEnd } from './finish.js';
import { LeftAlone, LeftAloneError } from './left-alone.js';
import type { FullTrafficCandidate } from './live-candidate.js';
import { onMerged } from './merge-job.js';
import { analysesAgainAfterMerge, failedBeforeItsMerge, promoteMergedReady } from './merged-ready.js';
import { unreadBeforeTraffic } from './metrics-preflight.js';
import { newRelease } from './new-release.js';
import { withdrawNoLongerChanged } from './no-longer-changed.js';
import { endedByRollbackToIt, newHeadAdvice } from './phase-notes.js';
import { contextFor, type Ports } from './ports.js';
import { restartedFrom } from './restarted-from.js';
import { mergedPrLine, type PullRequestReader, staleEvent } from './stale-event.js';
import { tearDownCandidates } from './tear-down.js';
import { inFlight, type Release } from './types.js';
import { undeclaredOfPr } from './undeclared-models.js';
import { refuseUnknownLiveVersion } from './unknown-live-version.js';
import { UnpreparedModels } from './unprepared-models.js';
import { driveReleases, type WatchOptions } from './watch.js';
import { endIfWithdrawn, mergedPrAdvice, rerunMergeJob } from './withdrawn-meanwhile.js';

/** The parts of a pull_request event the engine needs. */
export interface PullRequestEvent {
  action: string;
  number: number;
  baseSha: string;
  headSha: string;
  merged: boolean;
}

export interface RunOptions extends WatchOptions {
  dryRun: boolean;
  /** Restrict the run to one model (a matrix job). */
  only?: string;
  /** The config file's path as the action's `config` input gives it (the CLI: the default path). */
  config?: string;
  /**
   * The models this run's config cannot act on (deployed on another target, no longer named), kept
   * for the run to fail on once it acted on the others: set by handlePullRequest.
   */
  leftAlone?: LeftAlone;
  /**
   * Told the lines made so far on the models this run leaves alone (queued, already stable…) each
   * time before it drives releases: a run stopped mid-drive (the CLI's Ctrl-C) never gets its result.
   */
  onNotes?(skipped: RunResult['skipped']): void;
  /**
   * The PR of this non-close event was merged at its head since (staleEvent): the run starts no
   * release, and drives only a merged one on record. Set by handlePullRequest.
   */
  prMerged?: boolean;
}

/**
 * What a line on a model a run left alone is, for the report's heading, which never reads the
 * line's words: they are free text, masked when stored (a secret `queued` turns them into `***`).
 * `dry-run`: what a dry run would do, none of it done; `queued`: waiting for the canary slot that
 * PR `holder`'s release holds; `fork`: a fork PR's code not deployed; `note`: any other why.
 */
export const LINE_KINDS = ['dry-run', 'queued', 'fork', 'note'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/** A line this run writes on a model it left alone: why, and what kind of line it is. */
export type SkippedLine = { model: string; why: string } & (
  | { kind: 'queued'; holder?: number }
  | { kind: Exclude<LineKind, 'queued'> }
);

/**
 * Marks a line a shared comment keeps from a sibling job (comment-publisher.ts keptNotes): shown
 * in the report, but no word on this run's heading. A symbol key, so no stored state holds it.
 */
export const SIBLING_LINE: unique symbol = Symbol('a sibling job line');

/** A sibling job's line, as the shared comment holds it: without a kind where an older model-gate wrote it. */
export interface KeptLine {
  model: string;
  why: string;
  kind?: LineKind;
  holder?: number;
  [SIBLING_LINE]: true;
}

/** What a run did, per model: the releases it touched and the models it left alone, with why. */
export interface RunResult {
  releases: Release[];
  skipped: (SkippedLine | KeptLine)[];
  /** Rollbacks done by command, outside any release. */
  rollbacks?: LedgerEntry[];
  /** Drift watches of stable models (schedule ticks). */
  drift?: DriftReport[];
  /** Lines for the comment of another PR than the event's (the one that introduced a rolled-back version). */
  notify?: { pr: number; model: string; why: string }[];
  /** What each model serves now (command status). */
  serving?: ServingState[];
}

/** A model's serving version as its target reports it, and the ledger's last promotion or rollback. */
export interface ServingState {
  model: string;
  /** Undefined when the target could not be read; `unread` says why. */
  version?: string;
  unread?: string;
  last?: LedgerEntry;
  /** A version beside stable taking all live traffic: what serves callers, before `version`. */
  candidate?: FullTrafficCandidate;
}

export async function handlePullRequest(
  config: Config,
  given: PullRequestEvent,
  ports: Ports & PullRequestReader,
  opts: RunOptions,
): Promise<RunResult> {
  // An event the PR moved on from (a re-run's, a late one's) changes nothing (stale-event.ts).
  const now = opts.dryRun ? {} : await staleEvent(given, ports);
  if (now.stale) return now.stale;
  // A model whose candidate this config cannot act on stops no other model: the run acts on each
  // it can, then fails naming those it left alone (left-alone.ts).
  const leftAlone = new LeftAlone();
  const run = { ...opts, leftAlone, ...(now.merged ? { prMerged: true } : {}) };
  // A close without merge only withdraws: it compares no versions, and must not wait on GitHub for it.
  const compares = given.action !== 'closed' || given.merged;
  const event = compares ? await sinceBranchPoint(given, ports.reader) : given;
  const result = await (event.action !== 'closed'
    ? analyse(config, event, ports, run)
    : event.merged
      ? onMerged(config, event, ports, run)
      : onClosed(config, event, ports, run));
  await leftAlone.fail(opts.dryRun ? [] : result.releases, ports);
  return opts.dryRun ? dryRunResult(config, event, result) : result;
}

/**
 * `event` with its base moved to where its head branched from (the reader's mergeBase): what the
 * PR changes. The event's `base.sha` is the base branch's tip, which may have moved on: a model
 * the base branch moved to v3 after the PR branched at v1 would pass for the PR's v3 → v1, and
 * the old version get canary traffic. On a merge, the event's base is the tip before the merge,
 * so its merge base is still where the PR branched. Failing is the reader's (it says why): falling
 * back to the tip would release that old version.
 */
export async function sinceBranchPoint<E extends Pick<PullRequestEvent, 'baseSha' | 'headSha'>>(
  event: E,
  reader: FileReader,
): Promise<E> {
  if (!reader.mergeBase || event.baseSha === '' || event.headSha === WORKING_TREE) return event;
  const baseSha = await reader.mergeBase(event.baseSha, event.headSha);
  return baseSha === event.baseSha ? event : { ...event, baseSha };
}

/** Opened, synchronize, reopened, labeled: start (or resume) a release per changed model. */
async function analyse(
  config: Config,
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
): Promise<RunResult> {
  const result = await prepare(config, event, ports, opts);
  if (opts.dryRun) return result;
  // Record the releases before deploying anything, so a job killed from here on is resumed (in
  // watch mode, driveReleases records them under the job's lease): forced, a record other runs
  // read, which waits out GitHub's refusals rather than being left for a later update.
  if (opts.mode !== 'watch') await ports.onProgress?.(result.releases, { force: true });
  const driven = await driveOrLeave(config, result.releases, ports, opts, result.skipped);
  // A merged PR's release (on-merge: analyze-then-promote) resumed here (a re-run of the PR's
  // earlier job, a label put on it) and made ready is promoted by this run, as the merge job or a
  // tick would: left ready, it kept its last phase's traffic until a tick after the grace, or for
  // good without a schedule workflow. Only those it drove, each unless another run changed its
  // record since (the one it gave up to may be promoting it).
  const wasAnalysing = (r: Release) =>
    result.releases.some((f) => f.model === r.model && f.status === 'analysing');
  const resumed = driven.filter(wasAnalysing);
  const merged = await promoteMergedReady(config, [], ports, resumed);
  const releases = driven.map((r) => merged.releases.find((m) => m.model === r.model) ?? r);
  // Its own PR: a failure after the merge is said on this run's comment.
  const failed = merged.notify.map(({ model, why }) => ({ model, why, kind: 'note' as const }));
  return { ...result, releases, skipped: [...result.skipped, ...failed] };
}

async function prepare(
  config: Config,
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
): Promise<RunResult> {
  // Every model is checked before any new release is recorded (unprepared-models.ts).
  const unprepared = new UnpreparedModels();
  const checked = await checkChanged(config, event, ports, opts, unprepared);
  unprepared.throwIfAny(checked.starts, event.number);
  return recordStarts(checked, event, opts);
}

/** A run's changed models, checked: the lines and releases so far, and the new releases to record. */
export interface Checked {
  result: RunResult;
  starts: Release[];
  changed: ChangedModel[];
  touched: ReadonlySet<string> | undefined;
  /** The ports it was checked with: the record (recordStarts) reads the same files. */
  ports: Ports;
}

/**
 * The changed models' releases resumed, queued or superseded, and the new ones checked (not
 * recorded: recordStarts); a model that cannot be prepared is kept in `unprepared`.
 */
export async function checkChanged(
  config: Config,
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
  unprepared: UnpreparedModels,
): Promise<Checked> {
  const touched = await ports.touchedFiles?.(event.number);
  const changed = await findChangedModels(
    config,
    ports.reader,
    event.baseSha,
    event.headSha,
    opts.only,
    touched,
  );
  const result = await withdrawNoLongerChanged(config, event, changed, ports, opts);
  const starts: Release[] = [];
  for (const change of changed) {
    try {
      const release = await prepareModel(config, event, change, ports, opts, result);
      if (release) starts.push(release);
    } catch (error) {
      unprepared.keep(change.model, change.to, error);
    }
  }
  return { result, starts, changed, touched, ports };
}

/** Records the new releases `checked` (once every model could be prepared), with their config notes. */
export async function recordStarts(
  checked: Checked,
  event: PullRequestEvent,
  opts: RunOptions,
): Promise<RunResult> {
  const { result, starts, changed, touched, ports } = checked;
  // The PR's own config judges it: say what it changes of each changed model's release settings.
  const models = changed.map((c) => c.model);
  const refs = { base: event.baseSha, head: event.headSha };
  const file = configFileOf(opts, ports.log);
  const notes = await configChangeNotes(ports.reader, refs, models, file, ports.log, touched);
  for (const note of notes) {
    result.skipped.push(note);
    ports.log.info(`${note.model}: ${note.why}`);
  }
  for (const start of starts) {
    // Recorded with its note, so that no later failure leaves a record without it.
    const note = notes.find((n) => n.model === start.model)?.why;
    const release: Release = note ? { ...start, configChanges: { note } } : start;
    try {
      if (!opts.dryRun) await ports.ledger.saveRelease(release);
    } catch (error) {
      // Another PR claimed the slot since the look above.
      if (!(error instanceof SlotTakenError)) throw error;
      result.skipped.push(await queue(error.holder, release.model, release.to, event, ports, opts));
      continue;
    }
    result.releases.push(release);
  }
  // In the order of the changed models, as a run that recorded each in turn listed them.
  const rank = (r: Release) => changed.findIndex((c) => c.model === r.model);
  result.releases.sort((a, b) => rank(a) - rank(b));
  // On the release's record too, so that every later report of it says so (a schedule tick's): the
  // report shows it once, from the record.
  const of = { pr: event.number, headSha: event.headSha };
  result.releases = await keepConfigChanges(result.releases, notes, of, ports, opts.dryRun);
  return result;
}

/**
 * What a PR run does with one changed model, before any new release is recorded: resumed, queued
 * or left with a line in `result`; or the new release to record (returned), its checks done.
 */
async function prepareModel(
  config: Config,
  event: PullRequestEvent,
  change: ChangedModel,
  ports: Ports,
  opts: RunOptions,
  result: RunResult,
): Promise<Release | undefined> {
  const model = config.models[change.model] as ModelConfig;
  const ctx = contextFor(model, ports);
  const found = await ports.ledger.release(model.name);
  const existing = found?.pr === event.number ? found : undefined;
  // Merged since this event (a re-run of a pre-merge job): a release started now would give the
  // candidate live traffic after the merge, and no merge job would promote it. Only a release the
  // merge recorded goes on as below; not one that failed at another head before the merge, whose
  // head is not the merge's.
  const failedElsewhere = existing && failedBeforeItsMerge(existing) && existing.headSha !== event.headSha;
  const mergeRecorded =
    existing?.mergedAt !== undefined && existing.status !== 'superseded' && !failedElsewhere;
  if (opts.prMerged && !mergeRecorded) {
    const why = mergedPrLine(event);
    result.skipped.push({ model: model.name, why, kind: 'note' });
    ports.log.warn(`${model.name}: ${why}`);
    return undefined;
  }
  // The PR merged at another head (a re-run of an earlier head's job): that head is not analysed
  // again, which would supersede the merged release with one no merge ever promotes; the merged
  // release, still in flight, is driven as it is.
  if (existing?.mergedAt !== undefined && existing.headSha !== event.headSha) {
    // One that failed before the merge was analysed at its head: the PR may have merged at this one.
    const at = failedElsewhere || !existing.headSha ? '' : ` at ${headName(existing.headSha)}`;
    const why = `PR #${event.number} was merged${at}, so this run of ${headName(event.headSha)} starts no analysis of it`;
    result.skipped.push({ model: model.name, why, kind: 'note' });
    if (inFlight(existing)) result.releases.push(existing);
    return undefined;
  }
  if (
    existing &&
    existing.headSha === event.headSha &&
    existing.to === change.to &&
    existing.status !== 'superseded'
  ) {
    // A re-run of the same head resumes; it never deploys twice. One deployed on another target
    // than this config's is left alone (the run fails on it once it acted on the others).
    const current = opts.dryRun
      ? existing
      : await orLeftAlone(existing, opts, () => endIfWithdrawn(config, existing, ports));
    if (!restartsOnReopen(event, current)) {
      result.releases.push(current);
      // Ended before this run (not just now, for want of live traffic): say why it stays so.
      const merged = event.merged || opts.prMerged === true;
      const note = current === existing ? endedNote(current, event.headSha, model, merged) : undefined;
      if (note) {
        result.skipped.push({ model: model.name, why: note, kind: 'note' });
        ports.log.warn(`${model.name}: ${note}`);
      }
      return undefined;
    }
    const why = unreadBeforeTraffic(current)
      ? 'its metrics source could not be read before any traffic'
      : event.action === 'reopened'
        ? 'the PR was reopened'
        : "the merged PR's job runs again";
    ports.log.info(
      `${model.name}: ${why}: analysing ${change.to} on ${headName(event.headSha)} again (it ended ${current.status}: ${current.reason})`,
    );
  }
  const holder = await ports.ledger.canaryHolder(model.name);
  const heldByOther = holder && holder.pr !== event.number ? holder : undefined;
  // The model's last release as it ended: when its candidate had live traffic (earlier-live.ts).
  let previous = found;
  let restarted: Release['restartedFrom'];
  // Another PR's candidate holds the slot: withdrawing traffic now would withdraw that one.
  if (!heldByOther && existing && inFlight(existing) && !opts.dryRun) {
    const head = headName(event.headSha);
    const why = `superseded by ${event.headSha === WORKING_TREE ? head : `a new head ${head}`}`;
    const superseded = await orLeftAlone(existing, opts, () =>
      endRelease(existing, 'superseded', why, model, ports),
    );
    // Left alone (deployed on another target): no new candidate replaces one still live there.
    if (superseded === existing) return undefined;
    ports.log.info(`${model.name}: ${superseded.reason}`);
    previous = superseded;
    // Kept on the new record, so every report of it says it restarted (restart-line.ts).
    restarted = restartedFrom(existing, superseded);
  }
  // Before the slot: a version already stable has nothing to wait for.
  // The versions releases on record name too, so a platform's names map back to them.
  const onRecord = [holder, found];
  const named = onRecord.flatMap((r) => (r ? [r.to] : []));
  const read = await ctx.target.read({ stable: change.from, others: [change.to, ...named] });
  const serving = read.stable.version;
  if (serving === change.to) {
    result.skipped.push({
      model: model.name,
      why: `${change.to} is already the stable version`,
      kind: 'note',
    });
    if (!opts.dryRun) await nothingToRelease(model.name, event, ports);
    return undefined;
  }
  if (heldByOther) {
    result.skipped.push(await queue(heldByOther, model.name, change.to, event, ports, opts));
    return undefined;
  }
  // A version beside stable no release put there (a side experiment) would lose its traffic.
  refuseUnknownLiveVersion(read, { to: change.to, headSha: event.headSha }, model, ctx.target, onRecord);
  const offline = [];
  for (const [index, gate] of model.gates.entries()) {
    if (gate.kind === 'offline')
      offline.push(
        await checkOffline(
          gate,
          ports.reader,
          // The base the changed-model detection compared with: a file it left alone is stale. Its
          // place in the config: a missing file names the field to fix.
          { base: event.baseSha, head: event.headSha, version: change.to, at: { model: model.name, index } },
          ports.clock.now(),
        ),
      );
  }
  const now = ports.clock.now();
  const release = newRelease(model, {
    from: serving,
    to: change.to,
    pr: event.number,
    headSha: event.headSha,
    now,
    offline,
  });
  const earlierLive = earlierLiveOf(previous, serving, now);
  return {
    ...release,
    ...(restarted ? { restartedFrom: restarted } : {}),
    ...(earlierLive ? { earlierLive } : {}),
  };
}

/**
 * Reopening a PR analyses again a head whose analysis was withdrawn before it decided (the PR was
 * closed, the job cancelled, an abort): no verdict was reached, so running it again is safe. So
 * does a re-run of the merged PR's job, for an analysis withdrawn after the merge (merged-ready.ts).
 * A failed analysis is not repeated on the same commit: trying until one passes would let a
 * regression through however strict each analysis is. One that ended before any traffic because
 * its metrics source met only passing faults (a rate limit, a 5xx: metrics-preflight.ts) judged
 * nothing, so any run on the same head analyses it again, until the PR merged.
 */
const restartsOnReopen = (event: PullRequestEvent, release: Release) =>
  (event.action === 'reopened' && release.status === 'aborted' && !release.withdrawPending) ||
  analysesAgainAfterMerge(event, release) ||
  (release.mergedAt === undefined && unreadBeforeTraffic(release));

/**
 * Why a run on a head whose release already ended does not analyse it again, and what would. Once
 * the PR merged (`merged`, or its merge on record), no push or reopen would: a re-run of the merge
 * job analyses an aborted one with its merge on record again, else a new PR.
 */
function endedNote(
  release: Release,
  headSha: string,
  model: ModelConfig,
  merged: boolean,
): string | undefined {
  const head = `this head (${headName(headSha)})`;
  // The CLI's files on disk are one head whatever is edited: no push gives it a new one, a commit
  // named with --head does; `model-gate run reopen` is its reopened PR.
  const local = headSha === WORKING_TREE;
  const afterMerge =
    (merged || release.mergedAt !== undefined) && !local
      ? mergedPrAdvice(release.to, servesAfterEnd(release), model.source.file)
      : undefined;
  if (release.status === 'failed')
    return `${head} already failed its analysis, and a failed analysis is not run again on the same ${local ? 'head' : 'commit'}; ${afterMerge ?? newHeadAdvice(headSha)}`;
  // Not withdrawn: its candidate serves, so there is nothing left to analyse.
  if (endedByRollbackToIt(release))
    return `${head} already ended: ${release.reason}; there is nothing left to analyse, and merging the PR changes nothing while ${release.to} serves`;
  if (release.status === 'aborted' && afterMerge !== undefined) {
    const again = release.mergedAt !== undefined ? rerunMergeJob(release) : afterMerge;
    return `${head} already ended aborted: its candidate was withdrawn before the analysis decided; ${again}`;
  }
  if (release.status === 'aborted')
    return local
      ? `${head} already ended aborted: its candidate was withdrawn before the analysis decided; to analyse it again, run model-gate run reopen --pr ${release.pr ?? 1} (as a reopened PR does), or commit and run with --head HEAD`
      : `${head} already ended aborted: its candidate was withdrawn before the analysis decided; push a new commit, or close and reopen the PR, to analyse again`;
  return undefined;
}

/**
 * The PR's job has nothing of `model` to release: the ledger lets go of the slot its queue held for
 * it (its run re-run once the slot freed), so the PR waiting next is started. Failing that must
 * not fail the job: the hold then lasts until 30 minutes after the re-run (STARTED_HOLDS_MS).
 */
async function nothingToRelease(model: string, event: PullRequestEvent, ports: Ports): Promise<void> {
  await ports.ledger
    .nothingToRelease?.(model, { pr: event.number, headSha: event.headSha })
    .catch((error: unknown) =>
      ports.log.warn(
        `${model}: could not leave the queue for the canary slot: ${(error as Error).message}; if the queue re-ran this job, the PRs waiting for the slot wait until 30 minutes after that re-run`,
      ),
    );
}

/** A PR's release waits for the one holding the slot: queued where the ledger can start it later. */
async function queue(
  holder: { pr?: number; to: string },
  model: string,
  to: string,
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
): Promise<SkippedLine> {
  const held = `queued: PR #${holder.pr} holds the canary slot of ${model} (${holder.to})`;
  const then = ports.ledger.wait
    ? // A re-run after this PR's merge starts nothing (mergedPrLine): the merge job is the one.
      'this job is re-run once its release ends (with the actions: write permission; else re-run it then; if this PR is merged first, re-run its merge job instead)'
    : 're-run this job once it is merged or closed';
  if (ports.ledger.wait && !opts.dryRun) {
    // Queuing is a courtesy: failing it must not fail the job.
    await ports.ledger
      .wait(model, { pr: event.number, headSha: event.headSha, to })
      .catch((error: unknown) =>
        ports.log.warn(`${model}: could not join the queue for the canary slot: ${(error as Error).message}`),
      );
  }
  if (opts.dryRun) return { model, why: `${held}; a run would join the queue for it`, kind: 'dry-run' };
  return {
    model,
    why: `${held}; ${then}`,
    kind: 'queued',
    ...(holder.pr === undefined ? {} : { holder: holder.pr }),
  };
}

/** Closed without merge: withdraw and tear down this PR's candidates. */
async function onClosed(
  config: Config,
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
): Promise<RunResult> {
  const recorded = await releasesOfPr(config, event, ports, opts);
  const { skipped } = recorded;
  const releases = await retryPending(config, recorded.releases, ports, opts, skipped);
  const out: Release[] = [];
  // Each on its own: one deployed on another target is left alone, the others still withdrawn.
  for (const release of releases) {
    if (opts.dryRun || !inFlight(release)) {
      out.push(release);
      continue;
    }
    const model = config.models[release.model] as ModelConfig;
    const why = `the PR was closed without merging; ${release.to} withdrawn`;
    out.push(await orLeftAlone(release, opts, () => endRelease(release, 'aborted', why, model, ports)));
  }
  // Withdrawn, a candidate deployed at 0% still runs (and bills) where a platform keeps it so: taken
  // off, with those a later head superseded (tear-down.ts). Said on the run's one report.
  const latest = [...out, ...recorded.withdrawn.map((w) => w.release)];
  skipped.push(...(await tearDownCandidates(config, latest, ports, opts)));
  // A PR queued for a model's slot (no release of it recorded) leaves the queue: else its run is
  // re-run for the slot once it frees, and holds it for nothing.
  if (!opts.dryRun)
    for (const model of opts.only === undefined ? Object.keys(config.models) : [opts.only])
      if (!recorded.releases.some((r) => r.model === model)) await nothingToRelease(model, event, ports);
  return { releases: out, skipped };
}

/**
 * `act` on `release`. Where this run's config cannot act on it (a ConfigError: deployed on another
 * target), `release` as it is, the error kept in `opts.leftAlone` for the run to fail on once it
 * acted on the other models; without one, the error is thrown.
 */
export async function orLeftAlone(
  release: Release,
  opts: Pick<RunOptions, 'leftAlone'>,
  act: () => Promise<Release>,
): Promise<Release> {
  try {
    return await act();
  } catch (err) {
    if (!opts.leftAlone) throw err;
    opts.leftAlone.keep(err);
    return release;
  }
}

/**
 * driveReleases, where one this run's config cannot act on leaves the others driven (LeftAloneError):
 * they are returned as driven, the error kept in `opts.leftAlone`; without one, it is thrown.
 * The run's lines so far (`notes`) are handed out first (opts.onNotes).
 */
export async function driveOrLeave(
  config: Config,
  releases: Release[],
  ports: Ports,
  opts: RunOptions,
  notes: RunResult['skipped'],
): Promise<Release[]> {
  opts.onNotes?.([...notes]);
  try {
    return await driveReleases(config, releases, ports, opts);
  } catch (err) {
    if (!(err instanceof LeftAloneError) || !opts.leftAlone) throw err;
    opts.leftAlone.keep(err);
    return err.releases;
  }
}

/**
 * End the PR's `release` with `status`, its candidate taken out of service, the end recorded (and
 * written to the PR's comment) before the traffic change (endThenWithdraw): a run driving it (a
 * schedule tick) that checks the record before its next change gives the candidate no traffic
 * again, and a run that stops before the change is confirmed leaves a record the next run acts on.
 * A platform refusal is in the record: the next run tries again.
 */
export async function endRelease(
  release: Release,
  status: 'aborted' | 'superseded',
  why: string,
  model: ModelConfig,
  ports: Ports,
): Promise<Release> {
  const ctx = contextFor(model, ports);
  return (await endThenWithdraw(release, { status, why }, ctx, ports.ledger, announceEnd(ports))).release;
}

/**
 * A re-run of a closed or merged PR's job tries again to take out the candidates whose end an
 * earlier run of this PR recorded with their withdrawal pending (refused, or the run stopped before
 * the platform confirmed it), as their report says: as a schedule tick would, one pass.
 */
export async function retryPending(
  config: Config,
  releases: Release[],
  ports: Ports,
  opts: RunOptions,
  notes: RunResult['skipped'],
): Promise<Release[]> {
  const pending = releases.filter((r) => r.withdrawPending);
  if (pending.length === 0 || opts.dryRun) return releases;
  const retried = await driveOrLeave(config, pending, ports, { ...opts, mode: 'tick' }, notes);
  return releases.map((r) => retried.find((d) => d.model === r.model) ?? r);
}

/**
 * The PR's recorded releases (of `only`, in a matrix job of one model), and the records of another
 * PR (or a command's) found in place of its models' (`others`). One in flight of a model the
 * config no longer names fails the run once it acted on the others: nothing would withdraw or
 * promote it (undeclared-models.ts); a matrix job checks its own model only.
 */
export async function releasesOfPr(
  config: Config,
  event: PullRequestEvent,
  ports: Ports,
  opts: Pick<RunOptions, 'only' | 'leftAlone'>,
): Promise<RunResult & { withdrawn: Withdrawn[]; others: Release[] }> {
  const { only } = opts;
  for (const err of await undeclaredOfPr(config, event.number, ports.ledger, only)) {
    if (!opts.leftAlone) throw err;
    opts.leftAlone.keep(err);
  }
  const result = {
    releases: [] as Release[],
    skipped: [] as RunResult['skipped'],
    withdrawn: [] as Withdrawn[],
    others: [] as Release[],
  };
  for (const name of only === undefined ? Object.keys(config.models) : [only]) {
    const release = await ports.ledger.release(name);
    // Another PR's record in place of any of this PR's: a merge says what it leaves unreleased.
    if (release && release.pr !== event.number) result.others.push(release);
    if (release?.pr !== event.number) continue;
    // One whose withdrawal is pending is no done end: the run tries it again (retryPending).
    if (release.status !== 'superseded' || release.withdrawPending) {
      result.releases.push(release);
      continue;
    }
    // Withdrawn by a later head that left nothing in its place (its version put back, say; or its
    // new version not started: a merge starts that one, startUnreplaced in merge-job.ts).
    const line = {
      model: name,
      why: `${release.to} was already withdrawn: ${release.reason}`,
      kind: 'note' as const,
    };
    result.skipped.push(line);
    result.withdrawn.push({ release, line });
  }
  if (result.releases.length === 0 && result.skipped.length === 0)
    result.skipped.push({ model: '*', why: `no release of PR #${event.number} is recorded`, kind: 'note' });
  return result;
}

/** A release of the PR superseded with nothing in its place, and its line among the run's notes. */
export interface Withdrawn {
  release: Release;
  line: SkippedLine;
}
