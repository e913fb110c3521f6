// The merge job (a closed pull_request event, merged): promotes what passed on the PR, settles
// candidates of earlier heads, and starts every new analysis the merge needs all or nothing, each
// model checked before any is recorded. handlePullRequest (pull-request.ts) runs it.
import type { Config, ModelConfig } from '../config/types.js';
import { VersionError } from '../core/errors.js';
import { changedSince, type LedgerEntry, sameRelease } from '../ledger/ledger.js';
import { utcMinute } from '../report/format.js';
import { findChangedModels } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { promoteMerged } from './finish.js';
import { withdrawAfterLastLook } from './last-look.js';
import { type HeadVersion, mergedHeadVerdict } from './merged-head.js';
import {
  analysesAgainAfterMerge,
  endedBeforeMergeNote,
  endedOnMerge,
  recordMerge,
  stillAnalysingNote,
} from './merged-ready.js';
import { passedPhases } from './passed-phases.js';
import { endedByRollbackToIt } from './phase-notes.js';
import { contextFor, type Ports } from './ports.js';
import {
  type Checked,
  checkChanged,
  driveOrLeave,
  endRelease,
  orLeftAlone,
  type PullRequestEvent,
  type RunOptions,
  type RunResult,
  recordStarts,
  releasesOfPr,
  retryPending,
  type Withdrawn,
} from './pull-request.js';
import { endedByStoppedJob } from './stopped-job-end.js';
import { inFlight, type Release } from './types.js';
import { unjudgedNote } from './unjudged-gates.js';
import { UnpreparedModels } from './unprepared-models.js';
import { toRelease } from './withdrawn-meanwhile.js';

/** Merged: promote what passed on this PR; a candidate that did not pass is not promoted (unless configured). */
export async function onMerged(
  config: Config,
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
): Promise<RunResult> {
  const recorded = await releasesOfPr(config, event, ports, opts);
  const { skipped } = recorded;
  const retried = await retryPending(config, recorded.releases, ports, opts, skipped);
  // Every model the merge starts a new release of is prepared before any is recorded, as a PR
  // run's are (unprepared-models.ts): one recorded for a job that then failed on another model
  // would be deployed by a schedule tick, the merged PR's job having said it failed.
  const unprepared = new UnpreparedModels();
  const settled = await settleEarlierHeads(config, event, retried, ports, opts, unprepared);
  const out = settled.ended;
  // Rollbacks by command since a promotion of the PR (a re-run of this job): its report says them.
  const rollbacks: LedgerEntry[] = [];
  const again = await analyseAgain(config, event, settled.releases, ports, opts, unprepared);
  const unreplaced = await startUnreplaced(config, event, recorded, ports, opts, unprepared);
  const unrecorded = await startUnrecorded(config, event, recorded, ports, opts, unprepared);
  const fresh = [...settled.fresh, ...again.fresh, ...unreplaced, ...unrecorded];
  const starts = fresh.flatMap((f) => f.checked.starts);
  unprepared.throwIfAny(starts, event.number);
  const started = await startTogether(fresh, event, ports, opts);
  const rank = (r: Release) => Object.keys(config.models).indexOf(r.model);
  let releases = [...again.releases, ...started.releases].sort((a, b) => rank(a) - rank(b));
  skipped.push(...settled.skipped, ...again.skipped, ...started.skipped);
  const analyseFirst = releases.filter(
    (r) => r.status === 'analysing' && config.models[r.model]?.onMerge === 'analyze-then-promote',
  );
  if (analyseFirst.length > 0 && !opts.dryRun) {
    // The merge is on record before any look: whichever run finishes the analysis promotes it.
    const merged = await recordMerge(analyseFirst, ports.ledger, ports.clock.now());
    const driven = await driveOrLeave(config, merged, ports, opts, skipped);
    releases = releases.map((r) => driven.find((d) => d.model === r.model) ?? r);
  }
  for (const release of releases) {
    const model = config.models[release.model] as ModelConfig;
    const ctx = contextFor(model, ports);
    if (opts.dryRun || release.status === 'analysing') {
      if (release.status === 'analysing' && !opts.dryRun && model.onMerge === 'require-pass') {
        const why = `merged before the analysis passed; ${release.to} was not promoted (on-merge: require-pass)`;
        out.push(await orLeftAlone(release, opts, () => withdrawAfterLastLook(release, why, model, ports)));
        continue;
      }
      out.push(release);
      // Its max-wait ran out: the analysis goes on in schedule ticks, which promote it.
      if (release.status === 'analysing' && !opts.dryRun)
        skipped.push({ model: model.name, why: stillAnalysingNote(release), kind: 'note' });
      continue;
    }
    if (release.status === 'promoted') {
      // Promoted before this run: by a schedule tick after the merge, a promote command, or an
      // earlier run of this job (a re-run): nothing left to do.
      const history = await ports.ledger.history(release.model);
      const since = replacedSince(release, history);
      if (since) {
        // Since taken out of service (a rollback by command): the run does not report the release
        // as its own news (headed Promoted), but the rollback, as its own run headed the PR's
        // comment; this run's write of that comment puts this line in place of the rollback's.
        skipped.push({ model: model.name, why: promotedThenReplaced(release, history, since), kind: 'note' });
        if (since.kind === 'rollback') rollbacks.push(since);
        continue;
      }
      out.push(release);
      skipped.push({ model: model.name, why: promotedAlready(release, history), kind: 'note' });
      continue;
    }
    const known = { others: [release.to, release.from] };
    if (endedByRollbackToIt(release) && (await ctx.target.read(known)).stable.version === release.to) {
      // A rollback went back to this candidate (a revert PR): nothing went wrong, nothing to do.
      out.push(release);
      skipped.push({
        model: model.name,
        why: `${release.to} is already the stable version, so the merge changed nothing`,
        kind: 'note',
      });
      continue;
    }
    if (release.status !== 'ready') {
      const ended = opts.dryRun ? release : await endedOnMerge(release, ports);
      out.push(ended);
      const why = await endedBeforeMerge(config, model, ended, event, ports);
      skipped.push({ model: model.name, why, kind: 'note' });
      continue;
    }
    // Read again first: a run that promoted or ended it since this job read it (a schedule tick
    // trying a merged PR's promotion again, a command) has the last word; one still ready is promoted.
    const theirs = await changedSince(release, ports.ledger);
    /** Another run's record of the release since this job read it: its word stands, said in a note. */
    const leftToTheirs = (theirs: Release) => {
      out.push(theirs);
      const why = recordedMeanwhile(release, theirs);
      ports.log.info(`${model.name}: ${why}`);
      skipped.push({ model: model.name, why, kind: 'note' });
    };
    if (theirs && endedMeanwhile(theirs, release)) {
      leftToTheirs(theirs);
      continue;
    }
    // The record's `ready` is taken only with the canary claim its analysis made (a forged or
    // hand-edited comment has none): else a version never given canary traffic would be promoted.
    const ready = theirs ?? release;
    if (ports.ledger.claimHeld && !(await ports.ledger.claimHeld(ready))) {
      // A rollback by command since that read ended the claim and recorded its end on the comment:
      // its word stands. Not the claim's end alone (what endedElsewhere also takes): a comment edited
      // by hand from failed to ready shows the same, and that ready never came from an analysis.
      const ended = await changedSince(ready, ports.ledger);
      if (ended && endedMeanwhile(ended, ready)) {
        leftToTheirs(ended);
        continue;
      }
      // The merged head declares the candidate's version: the way to release it is the usual one.
      const why = `${ready.to} has no canary claim of PR #${ready.pr} on record, so its ready state did not come from an analysis: not promoted${nextStep({ same: ready.to }, model, ready.from)}`;
      ports.log.warn(`${model.name}: ${why}`);
      // Ended so that the merged PR's comment says so, not "Ready to merge".
      out.push(await endRelease(ready, 'aborted', why, model, ports));
      continue;
    }
    const summary = `passed ${passedPhases(model, release)} on ${headName(ready.headSha ?? event.headSha)}`;
    // Promoted as it passed, but not in silence: the merge config may judge it by more gates.
    const unjudged = unjudgedNote(ready, model);
    if (unjudged) {
      skipped.push({ model: model.name, why: unjudged, kind: 'note' });
      ports.log.warn(`${model.name}: ${unjudged}`);
    }
    // A refusal stays on record (the promotion pending, the merge job failing on it) and the
    // other models are still promoted; so does one analysed on another target (left alone).
    const words = { summary, passed: 'passed its analysis' };
    out.push(await orLeftAlone(ready, opts, () => promoteMerged(ready, ctx, ports, words)));
  }
  if (!opts.dryRun) await sayDeclaredNotServing(config, event, recorded, out, ports, skipped, opts.only);
  // What the PR changed of its models' release configs is on their records (kept by its runs):
  // the report says it from there, and the merge asks GitHub nothing more for it.
  return { releases: out, skipped, ...(rollbacks.length > 0 ? { rollbacks } : {}) };
}

/** The merge's note on the PR's release that ended before it (endedBeforeMergeNote), the merged head read. */
async function endedBeforeMerge(
  config: Config,
  model: ModelConfig,
  release: Release,
  event: PullRequestEvent,
  ports: Ports,
): Promise<string> {
  // Unread, the note goes without it: the merge job does not fail on a note.
  const declared = await mergedVersion(config, model.name, event, ports).catch(() => undefined);
  return endedBeforeMergeNote(release, declared, model.source.file);
}

/** Whether `theirs`, the record read again, is another run's end or replacement of `release`. */
function endedMeanwhile(theirs: Release, release: Release): boolean {
  return theirs.status !== 'ready' || !sameRelease(theirs, release);
}

/** A merge job's note on a release another run promoted, ended or replaced since the job read it. */
function recordedMeanwhile(release: Release, theirs: Release): string {
  const what = sameRelease(theirs, release) ? 'it' : `a newer release (${theirs.to})`;
  return `${release.to} was not promoted by this job: another run recorded ${what} ${theirs.status} since this job read it: ${theirs.reason}`;
}

/**
 * A merge job's note on a release promoted before it ran: when (the record's time of it, on the
 * runner's clock as `mergedAt` is), after the merge where the merge is on record before it
 * (analyze-then-promote: a schedule tick finished the analysis), and how, as the promotion's ledger
 * entry sums it up (a command names itself). A merge not on record (require-pass) is not said to
 * be before or after it: a promote command or an earlier run of this job may have promoted it.
 */
function promotedAlready(release: Release, history: LedgerEntry[]): string {
  return `${release.to} was already ${promotedWhen(release, history)}; nothing left to do`;
}

/** `promoted at 11:16 UTC, after the merge (passed 2 canary steps on 2222222)`: promotedAlready's words. */
function promotedWhen(release: Release, history: LedgerEntry[]): string {
  const entry = history[promotionIndex(release, history)];
  const at = utcMinute(release.updatedAt);
  const afterMerge = release.mergedAt !== undefined && release.updatedAt >= release.mergedAt;
  const how = entry?.summary ?? release.reason;
  return `promoted at ${at}${afterMerge ? ', after the merge' : ''} (${how})`;
}

/** Where the ledger records `release`'s promotion (its last record of it); -1 where it has none. */
const promotionIndex = (release: Release, history: LedgerEntry[]): number =>
  history.findLastIndex(
    (e) =>
      e.kind === 'promotion' &&
      e.version === release.to &&
      e.previous === release.from &&
      e.pr === release.pr,
  );

/**
 * The ledger's last entry since `release`'s promotion, where it put another version in place of
 * the candidate (a rollback by command, another promotion); undefined while the candidate serves.
 * With no entry of the promotion on record, the entries after the release's last record count.
 */
function replacedSince(release: Release, history: LedgerEntry[]): LedgerEntry | undefined {
  const index = promotionIndex(release, history);
  const since = index >= 0 ? history.slice(index + 1) : history.filter((e) => e.at > release.updatedAt);
  const last = since.at(-1);
  return last && last.version !== release.to ? last : undefined;
}

/**
 * A merge job's note on its release promoted before it ran, then taken out of service (`since`,
 * the ledger's last entry): when, and what serves; the job changes nothing.
 */
function promotedThenReplaced(release: Release, history: LedgerEntry[], since: LedgerEntry): string {
  const when = `at ${utcMinute(since.at)} (${since.summary})`;
  const how =
    since.kind === 'rollback'
      ? `rolled back to ${since.version} ${when}`
      : `replaced by ${since.version}, promoted${since.pr === undefined ? '' : ` by PR #${since.pr}`} ${when}`;
  return `${release.to} was ${promotedWhen(release, history)} and has since been ${how}; ${since.version} serves, and this job changed nothing`;
}

/**
 * Only the candidate the merged head declares is promoted. One deployed for an earlier head that
 * declared the same version stays as it is: a later push that left the version alone (a README fix,
 * often outside the workflow's `paths:` filter, so no run saw it) changes nothing to promote. One
 * whose version the merged head no longer declares (the PR moved on and no run analysed the new
 * head) is analysed again on the merged head (on-merge: analyze-then-promote) or withdrawn
 * unpromoted (require-pass). The plan decides alike (mergedHeadVerdict) which jobs it fans out.
 */
async function settleEarlierHeads(
  config: Config,
  event: PullRequestEvent,
  recorded: Release[],
  ports: Ports,
  opts: RunOptions,
  unprepared: UnpreparedModels,
): Promise<{ releases: Release[]; ended: Release[]; skipped: RunResult['skipped']; fresh: Fresh[] }> {
  const settled = {
    releases: [] as Release[],
    ended: [] as Release[],
    skipped: [] as RunResult['skipped'],
    fresh: [] as Fresh[],
  };
  for (const release of recorded) {
    const model = config.models[release.model] as ModelConfig;
    const verdict = inFlight(release)
      ? await mergedHeadVerdict(model, release, event, ports.reader)
      : ({ settle: 'keep' } as const);
    if (verdict.settle === 'keep') {
      settled.releases.push(release);
      continue;
    }
    if (verdict.settle === 'as-new-head') {
      // One still analysing served callers until the merge: superseded after the same last look as
      // one withdrawn (below), so that what it showed is on its record, and said here when it failed.
      if (release.status === 'analysing' && !opts.dryRun) {
        const why = `superseded by the merged head ${headName(event.headSha)}, ${mergedHeadDeclares(verdict.head, model)}`;
        const supersede = () => withdrawAfterLastLook(release, why, model, ports, '', 'superseded');
        const stopped = await orLeftAlone(release, opts, supersede);
        if (stopped !== release) ports.log.info(`${model.name}: ${stopped.reason}`);
        if (stopped.status === 'failed')
          settled.skipped.push({ model: model.name, why: failedAtMerge(stopped), kind: 'note' });
      }
      // As a new push would: supersede it and start the merged head's candidate, driven below. The
      // files decide, as they did here: a list of the PR's files older than the head, leaving the
      // version file out, would leave the candidate in flight with nothing to settle it.
      const byFiles = { ...ports, touchedFiles: undefined };
      const only = { ...opts, only: model.name };
      settled.fresh.push({ checked: await checkChanged(config, event, byFiles, only, unprepared) });
      continue;
    }
    const { head } = verdict;
    // The CLI's working tree is one head name whatever its files say: it was analysed when its file
    // declared the candidate, and declares another version now.
    const analysedOn =
      release.headSha === WORKING_TREE && event.headSha === WORKING_TREE
        ? `the working tree when it declared ${release.to}, not on the working tree as it is now`
        : `${release.headSha ? headName(release.headSha) : 'a head it did not record'}, not on the merged head ${headName(event.headSha)}`;
    const why = `${release.to} ${release.status === 'ready' ? 'passed' : 'was analysed'} on ${analysedOn}, ${mergedHeadDeclares(head, model)}`;
    const mode = `on-merge: ${model.onMerge}`;
    if (opts.dryRun) {
      settled.skipped.push({
        model: model.name,
        why: `would withdraw ${release.to} unpromoted: ${why} (${mode})`,
        kind: 'dry-run',
      });
      continue;
    }
    const then = nextStep(head, model, release.from);
    const unpromoted = `${why}; ${release.to} was not promoted (${mode})`;
    // One still analysing served callers until the merge: the merged PR's report says what it showed,
    // as for a candidate of the merged head (onMerged). One that passed is withdrawn as it passed.
    const withdraw = () =>
      release.status === 'analysing'
        ? withdrawAfterLastLook(release, unpromoted, model, ports, then)
        : endRelease(release, 'aborted', `${unpromoted}${then}`, model, ports);
    // Deployed on another target: left alone (its error kept), reported as it is.
    const stopped = await orLeftAlone(release, opts, withdraw);
    if (stopped !== release) ports.log.info(`${model.name}: ${stopped.reason}`);
    settled.ended.push(stopped);
  }
  return settled;
}

/**
 * A release of the merged head whose analysis after the merge was withdrawn before it decided
 * (the merge job cancelled, its post step withdrew the candidate) is analysed again, as a
 * reopened PR's is (on-merge: analyze-then-promote); so is one the post step of a PR's job stopped
 * before the merge, on the merged head as a new push would, whichever head it was analysed on (a
 * later push no run saw); the others are returned as they are. An abort or a withdrawal by hand
 * before the merge stands: the merge's note says what releases the version (endedBeforeMerge).
 */
async function analyseAgain(
  config: Config,
  event: PullRequestEvent,
  releases: Release[],
  ports: Ports,
  opts: RunOptions,
  unprepared: UnpreparedModels,
): Promise<RunResult & { fresh: Fresh[] }> {
  const out = { releases: [] as Release[], skipped: [] as RunResult['skipped'], fresh: [] as Fresh[] };
  for (const release of releases) {
    const model = config.models[release.model];
    const again =
      model?.onMerge === 'analyze-then-promote' &&
      (release.headSha === event.headSha || endedByStoppedJob(release)) &&
      analysesAgainAfterMerge(event, release);
    if (!again) {
      out.releases.push(release);
      continue;
    }
    // As a reopened PR's run: queued behind another PR's release, say, it is left as it ended.
    const only = { ...opts, only: model.name };
    out.fresh.push({ checked: await checkChanged(config, event, ports, only, unprepared), instead: release });
  }
  return out;
}

/**
 * A release of the PR superseded with nothing recorded in its place (its successor's check failed:
 * the run, or an earlier run of this job, stopped on a model it could not prepare; or its successor
 * was queued) is started afresh from the merged head, as a new push would (on-merge:
 * analyze-then-promote): else a re-run of the failed job, told to "run again", would start nothing,
 * and the base branch would declare a version no run releases. Its line that it was withdrawn goes:
 * the new check says what became of the model. A merged head that leaves the version as the base
 * has it (the version put back), or whose file declares none, starts nothing.
 */
async function startUnreplaced(
  config: Config,
  event: PullRequestEvent,
  recorded: { withdrawn: Withdrawn[]; skipped: RunResult['skipped'] },
  ports: Ports,
  opts: RunOptions,
  unprepared: UnpreparedModels,
): Promise<Fresh[]> {
  const fresh: Fresh[] = [];
  for (const { release, line } of recorded.withdrawn) {
    const model = config.models[release.model];
    if (model?.onMerge !== 'analyze-then-promote') continue;
    if ((await mergedVersion(config, model.name, event, ports)) === undefined) continue;
    // The files decide, as for a candidate of an earlier head (settleEarlierHeads).
    const byFiles = { ...ports, touchedFiles: undefined };
    recorded.skipped.splice(recorded.skipped.indexOf(line), 1);
    const only = { ...opts, only: model.name };
    fresh.push({ checked: await checkChanged(config, event, byFiles, only, unprepared) });
  }
  return fresh;
}

/**
 * The models the merged PR changed with no release on record at all (its job failed before recording
 * one, or ran before the workflow did; unrecordedModels): under on-merge:
 * analyze-then-promote the merge analyses the merged head's version itself, as a new push would, as
 * for one withdrawn with nothing in its place (startUnreplaced). Only the models whose version file
 * the PR touches are read (all where GitHub does not list them); the PR's files decide, as on a push.
 */
async function startUnrecorded(
  config: Config,
  event: PullRequestEvent,
  recorded: Awaited<ReturnType<typeof releasesOfPr>>,
  ports: Ports,
  opts: RunOptions,
  unprepared: UnpreparedModels,
): Promise<Fresh[]> {
  const fresh: Fresh[] = [];
  const names = unrecordedModels(config, recorded, opts.only).filter(
    (name) => config.models[name]?.onMerge === 'analyze-then-promote',
  );
  const touched = names.length > 0 ? await touchedByPr(event, ports) : undefined;
  for (const name of names) {
    const model = config.models[name] as ModelConfig;
    if (touched && !touched.has(model.source.file)) continue;
    if ((await mergedVersion(config, name, event, ports)) === undefined) continue;
    fresh.push({ checked: await checkChanged(config, event, ports, { ...opts, only: name }, unprepared) });
  }
  // The new check says what became of each model.
  const none = recorded.skipped.findIndex((s) => s.model === '*' && s.why === noneRecorded(event));
  if (fresh.length > 0 && none >= 0) recorded.skipped.splice(none, 1);
  return fresh;
}

/**
 * The models (of `only`, in a matrix job) with no release on record at all, the PR's nor another's.
 * Not one with another's record: in place of the PR's own (a failed analysis of this very head,
 * which is not run again on the same commit), or holding the slot.
 */
function unrecordedModels(
  config: Config,
  recorded: { releases: Release[]; withdrawn: Withdrawn[]; others: Release[] },
  only: string | undefined,
): string[] {
  const onRecord = [...recorded.releases, ...recorded.withdrawn.map((w) => w.release), ...recorded.others];
  return (only === undefined ? Object.keys(config.models) : [only]).filter(
    (name) => !onRecord.some((r) => r.model === name),
  );
}

/** The files the PR touches, where GitHub lists them: undefined where it cannot say. */
const touchedByPr = async (event: PullRequestEvent, ports: Ports) =>
  ports.touchedFiles?.(event.number).catch(() => undefined);

/** releasesOfPr's line when the ledger has no release of the PR. */
const noneRecorded = (event: PullRequestEvent) => `no release of PR #${event.number} is recorded`;

/**
 * The version the merged head changes `model` to, from the base's: undefined when it changes none,
 * has no version file, or declares none valid: then the merge has no version of it to release.
 */
async function mergedVersion(
  config: Config,
  model: string,
  event: PullRequestEvent,
  ports: Ports,
): Promise<string | undefined> {
  return (await mergedChange(config, model, event, ports))?.to;
}

/** mergedVersion's change, with the version the base declared (`from`). */
async function mergedChange(config: Config, model: string, event: PullRequestEvent, ports: Ports) {
  const change = await findChangedModels(config, ports.reader, event.baseSha, event.headSha, model).catch(
    (error: unknown) => {
      if (error instanceof VersionError) return [];
      throw error;
    },
  );
  return change[0];
}

/** A model a merge job starts a new release of, checked (`instead`: kept when none starts). */
interface Fresh {
  checked: Checked;
  instead?: Release;
}

/**
 * Records the new releases `fresh` (every model prepared), before anything is deployed, as a PR
 * run does, so that a job killed from here on is resumed.
 */
async function startTogether(
  fresh: Fresh[],
  event: PullRequestEvent,
  ports: Ports,
  opts: RunOptions,
): Promise<RunResult> {
  const out: RunResult = { releases: [], skipped: [] };
  if (fresh.length === 0) return out;
  for (const { checked, instead } of fresh) {
    const started = await recordStarts(checked, event, opts);
    out.releases.push(...(started.releases.length === 0 && instead ? [instead] : started.releases));
    out.skipped.push(...started.skipped);
  }
  if (!opts.dryRun) await ports.onProgress?.(out.releases, { force: true });
  return out;
}

/**
 * The merge's line on a candidate of an earlier head that failed its last look before the merged
 * head's replaced it: the model's section shows the new release, so the failure is said here.
 */
const failedAtMerge = (release: Release): string =>
  `${release.to} was rolled back to ${release.from}: ${release.reason}`;

/** What the merged head declares instead of the candidate's version (`same`: as the base does). */
function mergedHeadDeclares(head: HeadVersion, model: ModelConfig): string {
  const { file } = model.source;
  if ('absent' in head) return `which has no ${file}`;
  // Nothing valid to promote, nor to analyse under analyze-then-promote.
  if ('invalid' in head)
    return `whose ${file} declares no valid version, so there is nothing to promote or analyse: ${head.invalid}`;
  return 'same' in head ? 'which changes no version of it' : `which declares ${head.other}`;
}

/**
 * What the user does next once the merge left a version unreleased. A PR's run releases only a
 * version it changes, so a PR declaring the same version again changes nothing: the version file
 * goes back to what serves first (that PR deploys nothing: its version already serves).
 */
function nextStep(head: HeadVersion, model: ModelConfig, serving: string): string {
  const { file } = model.source;
  if ('invalid' in head) return `; a PR that fixes ${file} releases the version it declares`;
  const version = 'same' in head ? head.same : 'other' in head ? head.other : undefined;
  if (version === undefined || version === serving) return '';
  return `; the base branch now declares ${version} while ${serving} serves: ${toRelease(version, serving, file)}`;
}

/**
 * The models whose version the merged PR changed and of which the merge leaves nothing to promote
 * or analyse: the PR's release withdrawn before the merge with nothing in its place, another
 * release on record in place of the PR's, or none of the PR's on record at all (its job failed
 * before recording one, or ran before the workflow did: a merge under analyze-then-promote starts
 * its analysis, startUnrecorded). The base branch now declares a version that does not serve and
 * that no run releases, which the user would otherwise take the merge for having promoted: the
 * model's line says so (in place of the one that said it was withdrawn, or that none is recorded),
 * and a warning (an annotation in the action). The job does not fail on it: the merge did what
 * on-merge asks, and a re-run would change nothing.
 */
async function sayDeclaredNotServing(
  config: Config,
  event: PullRequestEvent,
  recorded: Awaited<ReturnType<typeof releasesOfPr>>,
  out: Release[],
  ports: Ports,
  skipped: RunResult['skipped'],
  only: string | undefined,
): Promise<void> {
  const none = unrecordedModels(config, recorded, only);
  const left: Left[] = [
    ...recorded.withdrawn.map(({ release, line }) => ({ model: release.model, release, line, other: false })),
    ...recorded.others.map((release) => ({ model: release.model, release, other: true })),
    ...none.map((model) => ({ model, other: false })),
  ].filter(({ model }) => !out.some((r) => r.model === model));
  // Another PR's record, or none, is the last of many models: only those whose file the PR touches are read.
  const touched = left.some((l) => l.line === undefined) ? await touchedByPr(event, ports) : undefined;
  let said = false;
  for (const entry of left) {
    const model = config.models[entry.model] as ModelConfig;
    if (entry.line === undefined && touched && !touched.has(model.source.file)) continue;
    const note = await declaredNotServing(config, model, event, entry, ports);
    if (note === undefined) continue;
    ports.log.warn(`${model.name}: ${note}`);
    const instead = { model: model.name, why: note, kind: 'note' as const };
    const at = entry.line ? skipped.indexOf(entry.line) : -1;
    if (at >= 0) skipped.splice(at, 1, instead);
    else skipped.push(instead);
    said = true;
  }
  // The model's line says what became of the PR's release, or that none is recorded.
  const noneAt = skipped.findIndex((s) => s.model === '*' && s.why === noneRecorded(event));
  if (said && noneAt >= 0) skipped.splice(noneAt, 1);
}

/**
 * A model the merge leaves nothing of the PR's to release of: `release`, the PR's withdrawn before
 * the merge (its `line` among the notes), or another release on record in place of it (`other`);
 * none: no release of the PR is on record at all.
 */
interface Left {
  model: string;
  release?: Release;
  line?: Withdrawn['line'];
  other: boolean;
}

/**
 * What a merge says of `model` when it leaves nothing of the PR's to release (`left`): undefined
 * when the merged head changes no version of it, declares none valid, or declares one that serves
 * or that another release on record is releasing.
 */
async function declaredNotServing(
  config: Config,
  model: ModelConfig,
  event: PullRequestEvent,
  left: Left,
  ports: Ports,
): Promise<string | undefined> {
  const { release, other } = left;
  const change = await mergedChange(config, model.name, event, ports);
  if (change === undefined) return undefined;
  const declared = change.to;
  if (other && release?.to === declared && inFlight(release)) return undefined;
  const known =
    release === undefined
      ? { stable: change.from, others: [declared] }
      : inFlight(release)
        ? { stable: release.from, candidate: release.to, others: [declared] }
        : { stable: release.from, others: [declared, release.to] };
  const read = await contextFor(model, ports)
    .target.read(known)
    .then(
      (state) => ({ serving: state.stable.version }),
      (error: unknown) => ({ unread: (error as Error).message }),
    );
  if ('serving' in read && read.serving === declared) return undefined;
  // A model new on the base branch with its platform unread: no version is known to serve.
  const serving =
    'serving' in read ? read.serving : (release?.from ?? change.from ?? 'the version that serves');
  const lastKnown = release
    ? `${serving} served when last recorded`
    : `the base branch declared ${change.from ?? 'none'} before the merge`;
  const serves =
    'serving' in read
      ? `${serving} still serves`
      : `its platform could not be read to say what serves (${read.unread}; ${lastKnown})`;
  const mode =
    model.onMerge === 'require-pass'
      ? 'on-merge: require-pass promotes only a candidate that passed on the PR'
      : `on-merge: ${model.onMerge} starts no analysis in place of another release on record`;
  const instead =
    release === undefined
      ? `${noneRecorded(event)}: its job recorded none (it failed before recording one, or ran before the workflow did)`
      : other
        ? `${release.pr === undefined ? 'a release' : `PR #${release.pr}'s release`} of ${release.to} (${release.status}) is on record in place of PR #${event.number}'s`
        : `PR #${event.number}'s ${release.to} was withdrawn before the merge, nothing in its place: ${release.reason}`;
  const later =
    model.onMerge === 'require-pass'
      ? '; with on-merge: analyze-then-promote, a merge analyses such a version itself and promotes it once it passes'
      : '';
  return `the merged version ${declared} is declared on the base branch but not serving: ${serves}, and no run releases ${declared} (${mode}; ${instead}); ${toRelease(declared, serving, model.source.file)}${later}`;
}
