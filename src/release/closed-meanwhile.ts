import type { Config, ModelConfig } from '../config/types.js';
import { removesIdleVersions } from '../targets/retire-idle.js';
import { declaredVersion } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import { changesOnMerge, endedBeforeMergeNote, endedOnMerge } from './merged-ready.js';
import { stopsOneModel } from './not-driven.js';
import { contextFor, type Ports, type PullRequestState } from './ports.js';
import type { SkippedLine } from './pull-request.js';
import { tearDownCandidates } from './tear-down.js';
import { inFlight, type Release } from './types.js';

// A PR closed (or merged) while GitHub was down: its job died on its first GitHub read, before it
// recorded anything, and a close job's post step has no candidate saved to withdraw. The release
// stays "analysing", and every schedule tick would go on driving the closed PR's candidate (half
// the users of an A/B) for days; or "ready", holding the model's canary slot for ever, the model's
// next PR queued behind it. So a tick asks GitHub for the PR's state before it drives or settles
// its release. The same read tells a push whose job did not run: the PR's head is not the release's.

/** What a schedule tick does with a release after asking for its PR's state. */
export interface PullRequestCheck {
  /** The release ended here (its PR closed unmerged), its candidate withdrawn; not to be driven. */
  ended?: Release;
  /** A line for the tick's report: what a dry run would do, what the user must do, what came down. */
  line?: SkippedLine;
  /** The same line for the PR's comment (not in a dry run). */
  notify?: { pr: number; model: string; why: string };
  /** GitHub says the PR is merged, no merge on record: advice to analyse again must fit a merged PR. */
  merged?: true;
  /** The release as saved again here, its PR merged (settledForItsPr): what the tick reports. */
  saved?: Release;
}

/**
 * Asks for the PR of an analysing or ready `release` (ports.pullRequestState, one request) and acts
 * on it: closed without merging, the release is ended as aborted and its candidate withdrawn and
 * torn down as a close job does (endThenWithdraw, tearDownCandidates), freeing the slot, saying
 * why; merged without the merge on record (`mergedAt`, so no tick promotes it), left as it is with
 * a line asking for the merge job again;
 * open at another head than the release's, as its push's job would have done (movedOn). Open at the
 * release's head, unknown (no such port, no PR, a PR job's own) or unreadable (GitHub failing, said
 * in a warning): left as before. One with the merge on record is merged: nothing to ask.
 */
export async function checkPullRequest(
  config: Config,
  release: Release,
  ports: Ports,
  opts: { dryRun?: boolean },
): Promise<PullRequestCheck> {
  const { pr } = release;
  const model = config.models[release.model];
  if (!model || pr === undefined || !ports.pullRequestState) return {};
  const asked = release.status === 'analysing' || release.status === 'ready';
  if (!asked || release.withdrawPending || release.mergedAt !== undefined) return {};
  let now: PullRequestState | undefined;
  try {
    now = await ports.pullRequestState(pr);
  } catch (err) {
    // Not knowing is no reason to end a healthy release: the next tick asks again.
    const then = release.status === 'ready' ? 'leaves' : 'drives';
    ports.log.warn(
      `${release.model}: could not read the state of PR #${pr} (${(err as Error).message}); this tick ${then} ${release.to} as before`,
    );
    return {};
  }
  const state = now?.state;
  if (state === 'merged') {
    // A ready one's merge job promotes it (whatever on-merge says), recording no merge first.
    const why =
      release.status === 'ready'
        ? `PR #${pr} was merged, but its merge job has not promoted ${release.to}, which passed its analysis, and no schedule tick promotes it: unless that job is still running, re-run the merge job of PR #${pr} (on-merge: ${model.onMerge})`
        : `PR #${pr} was merged, but its merge job did not record it, so no schedule tick promotes ${release.to}: re-run the merge job of PR #${pr} (on-merge: ${model.onMerge})`;
    ports.log.warn(`${release.model}: ${why}`);
    const line = { model: release.model, why, kind: 'note' as const };
    // A dry run writes no comment.
    return opts.dryRun
      ? { line, merged: true }
      : { line, notify: { pr, model: release.model, why }, merged: true };
  }
  if (state === 'open' && now?.headSha !== undefined)
    return movedOn(model, release, now.headSha, ports, opts);
  if (state !== 'closed') return {};
  const closed = `PR #${pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say)`;
  // Its candidate then comes off a platform that keeps it deployed (and billed) at 0%, as the close
  // job takes it off (tear-down.ts): one line, on the tick's report and the PR's comment.
  if (opts.dryRun) {
    const [teardown] = await tearDownCandidates(config, [release], ports, { dryRun: true });
    const would = `would withdraw ${release.to}: ${closed}${teardown ? `; ${teardown.why}` : ''}`;
    return { line: { model: release.model, why: would, kind: 'dry-run' } };
  }
  const end = { status: 'aborted' as const, why: `${closed}; ${release.to} withdrawn by a schedule tick` };
  const { release: ended, here } = await endHere(model, release, end, ports);
  // Another run's end of it (the close job re-run) took it down itself.
  if (!here) return { ended };
  const [teardown] = await tearDownCandidates(config, [ended], ports, { dryRun: false });
  if (!teardown) return { ended };
  return { ended, line: teardown, notify: { pr, model: release.model, why: teardown.why } };
}

/**
 * The PR is open at `head`, which is not the head `release` was analysed on, and no run of that
 * push recorded it (its job did not run, failed or was cancelled: GitHub down, say). Its head's
 * version file decides, as it decides for that push's job and for a merge (merged-head.ts):
 * - another version, or none (no version file): that job would have superseded the candidate
 *   (prepareModel, no-longer-changed.ts), so it is superseded here and withdrawn, stable alone
 *   serving, saying so, and the PR's job asked for again. The tick deploys nothing of the new head:
 *   it has no event (the PR's base, its files, its own config) to check a new release by, as that
 *   job does, and a tick's "analysis" of a head its PR run never saw would bypass those checks.
 * - the same version (a push no run saw, as a README fix outside the workflow's `paths:`): driven
 *   as before, as a merge at that head would promote it.
 * - a version file that declares no valid version: driven as before, as that job (which fails on
 *   the file) leaves it, with a line asking for the file to be fixed.
 * Costs one read of the head's version file, only while the head is not the release's. One that
 * cannot be read is no reason to end a healthy release: a warning, driven as before.
 */
async function movedOn(
  model: ModelConfig,
  release: Release,
  head: string,
  ports: Ports,
  opts: { dryRun?: boolean },
): Promise<PullRequestCheck> {
  const { pr, to } = release;
  if (release.headSha === undefined || release.headSha === head || pr === undefined) return {};
  const analysed = `${to}, analysed on head ${headName(release.headSha)}`;
  const then = release.status === 'ready' ? 'leaves' : 'drives';
  let declared: Awaited<ReturnType<typeof declaredVersion>>;
  try {
    declared = await declaredVersion(ports.reader, head, model.source);
  } catch (err) {
    ports.log.warn(
      `${release.model}: PR #${pr} is at head ${headName(head)} now, whose ${model.source.file} could not be read (${(err as Error).message}); this tick ${then} ${analysed}, as before`,
    );
    return {};
  }
  if ('version' in declared && declared.version === to) {
    ports.log.info(
      `${release.model}: PR #${pr} is at head ${headName(head)} now, which declares ${to} too: this tick ${then} ${analysed}`,
    );
    return {};
  }
  const pushed = `PR #${pr} is at head ${headName(head)} now`;
  if ('invalid' in declared) {
    const why = `${pushed}, whose ${model.source.file} declares no valid version (${declared.invalid}): the PR's job fails on it, so this tick ${then} ${analysed}, as before; fix the version file and push`;
    ports.log.warn(`${release.model}: ${why}`);
    const line = { model: release.model, why, kind: 'note' as const };
    return opts.dryRun ? { line } : { line, notify: { pr, model: release.model, why } };
  }
  const declares = 'version' in declared ? `declares ${declared.version}` : `has no ${model.source.file}`;
  const moved = `${pushed}, which ${declares}, but no run of that push recorded it (its job did not run or did not finish: GitHub not answering, say)`;
  if (opts.dryRun)
    return { line: { model: release.model, why: `would withdraw ${analysed}: ${moved}`, kind: 'dry-run' } };
  const rerun = `re-run the job of PR #${pr} for head ${headName(head)} (or push again, if GitHub started none): a schedule tick does not analyse a new head`;
  // Its record says so in the PR's comment, as a closed PR's end does: no line beside it.
  const why = `${moved}; ${analysed}, withdrawn by a schedule tick; ${rerun}`;
  const { release: ended } = await endHere(model, release, { status: 'superseded', why }, ports);
  return { ended };
}

/**
 * `release` ended by a tick (`end`), its candidate withdrawn as the PR's own job would have
 * (endThenWithdraw), said in a warning (`here`); or the record of a run that ended it meanwhile
 * (that job re-run), which stands.
 */
async function endHere(
  model: ModelConfig,
  release: Release,
  end: { status: 'aborted' | 'superseded'; why: string },
  ports: Ports,
): Promise<{ release: Release; here: boolean }> {
  const theirs = await ports.ledger.endedElsewhere?.(release, true);
  if (theirs) return { release: theirs, here: false };
  const ctx = contextFor(model, ports);
  const { release: ended } = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
  ports.log.warn(`${release.model}: ${ended.reason}`);
  return { release: ended, here: true };
}

/**
 * `before`, whose withdrawal was pending, settled by this tick (`after`, retryWithdrawal): no run
 * of its PR's close or merge may come after it to act on its end, so GitHub is asked for the PR's
 * state (pullRequestState, one request), only on the tick that settles it and only where it can
 * change something:
 * - closed unmerged, where the target keeps a version deployed at 0%: the candidate is torn down
 *   as the close job would (tearDownCandidates; a close job whose withdrawal the platform refused
 *   leaves the deployment for a later run, tear-down.ts), said on the tick's report and the PR.
 * - merged (a failed or aborted one, its merge job having left it to the run that settles it): its
 *   record gets the merge job's change (endedOnMerge: the merge on a failed one's record, its words
 *   less the open-PR advice), so the comment no longer tells a merged PR to push a commit, and the
 *   PR is told it was not promoted, as its merge job tells it (endedBeforeMergeNote).
 * A state that cannot be read is said, not thrown.
 */
export async function settledForItsPr(
  config: Config,
  before: Release,
  after: Release,
  ports: Ports,
): Promise<PullRequestCheck> {
  const { pr } = after;
  const model = config.models[after.model];
  const settledHere = before.withdrawPending === true && after.withdrawPending !== true;
  const ended = !inFlight(after) && after.status !== 'promoted' && after.mergedAt === undefined;
  if (!model || pr === undefined || !settledHere || !ended || !ports.pullRequestState) return {};
  const tearsDown = removesIdleVersions(contextFor(model, ports).target);
  // Only where the merge job's change to its record would change something: else no request for it.
  const mergeWords = changesOnMerge(after);
  if (!tearsDown && !mergeWords) return {};
  let now: PullRequestState | undefined;
  try {
    now = await ports.pullRequestState(pr);
  } catch (err) {
    const ifs = [
      ...(tearsDown
        ? [
            `if it was closed without merging, re-run its close job to take ${after.to}'s deployment off the platform`,
          ]
        : []),
      ...(mergeWords ? [`if it was merged, ${rewordMerged(pr)}`] : []),
    ];
    const asked = tearsDown ? 'closed' : 'merged';
    const why = `${after.to} withdrawn, but whether PR #${pr} is ${asked} could not be read (${(err as Error).message}): ${ifs.join('; ')}`;
    ports.log.warn(`${after.model}: ${why}`);
    return { line: { model: after.model, why, kind: 'note' } };
  }
  if (now?.state === 'merged' && mergeWords) return mergedMeanwhile(model, after, now, ports);
  if (now?.state !== 'closed' || !tearsDown) return {};
  const [teardown] = await tearDownCandidates(config, [after], ports, { dryRun: false });
  if (!teardown) return {};
  return { line: teardown, notify: { pr, model: after.model, why: teardown.why } };
}

/** What has a merged PR's comment reworded for the merge, where a tick could not. */
const rewordMerged = (pr: number): string =>
  `re-run the merge job of PR #${pr} so that its comment says what a merged PR can do in place of pushing a commit`;

/**
 * `after`, its withdrawal settled by this tick, of a PR GitHub says is merged (`now`): its record
 * as the merge job would have left it (endedOnMerge), and the merge job's note on it for the PR's
 * comment; the next step advised only where the merged head is the release's (or not given).
 * Another run's record of it since stands, without a note. A record that cannot be saved is said,
 * not thrown: the other models' records of this tick are still to be written.
 */
async function mergedMeanwhile(
  model: ModelConfig,
  after: Release,
  now: PullRequestState,
  ports: Ports,
): Promise<PullRequestCheck> {
  const pr = after.pr as number;
  let saved: Release;
  try {
    saved = await endedOnMerge(after, ports);
  } catch (err) {
    if (!stopsOneModel(err)) throw err;
    const why = `${after.to} withdrawn after PR #${pr} merged, but its record could not be saved for the merge (${(err as Error).message}): ${rewordMerged(pr)}`;
    ports.log.warn(`${after.model}: ${why}`);
    return { line: { model: after.model, why, kind: 'note' } };
  }
  const ours = saved !== after && saved.status === after.status && !saved.withdrawPending;
  if (!ours) return saved === after ? {} : { saved };
  const sameHead = now.headSha === undefined || now.headSha === after.headSha;
  const why = endedBeforeMergeNote(saved, sameHead ? after.to : undefined, model.source.file);
  ports.log.info(`${after.model}: ${why}`);
  return { saved, notify: { pr, model: after.model, why } };
}
