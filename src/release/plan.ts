import { formatDuration } from '../config/duration.js';
import type { Config, ModelConfig, ShadowStrategyConfig, StrategyConfig } from '../config/types.js';
import { ConfigError, VersionError } from '../core/errors.js';
import { phasesOf } from '../strategies/strategy.js';
import { perRequestSplitNote } from '../targets/capabilities.js';
import {
  type ChangedModel,
  checkModelName,
  type FileReader,
  findChangedModels,
  unchangedVersion,
} from '../version/changed-models.js';
import { withdrawalUnderWay } from './finish.js';
import { type MergedHeadVerdict, mergedHeadVerdict } from './merged-head.js';
import { passEndedRelease } from './no-longer-changed.js';
import { liveCandidateReason } from './plan-text.js';
import type { Ports } from './ports.js';
import { type PullRequestEvent, sinceBranchPoint } from './pull-request.js';
import { inFlight, type Release } from './types.js';
import { undeclaredOfPr } from './undeclared-models.js';

/** One phase a release would run: the candidate's share of live traffic, or a mirrored copy. */
export interface PlannedPhase {
  name: string;
  /** Percent of live traffic on the candidate (0 for a shadow). */
  weight: number;
  slot: 'canary' | 'shadow';
  /** A smoke test: synthetic requests straight to the candidate, no live traffic (blue-green). */
  smoke?: true;
}

/** A model a release would act on, and how. `to` is absent when no version was compared. */
export interface PlannedModel {
  model: string;
  /** The version declared at the base; absent for a model new in the change. */
  from?: string;
  to?: string;
  strategy: ModelConfig['strategy']['type'];
  target: ModelConfig['target']['type'];
  phases: PlannedPhase[];
  /**
   * How long its analysis runs: what ends each phase and the longest the release can take (an
   * A/B: to its planned sample, with a cap; a shadow or a bake: its hold; steps: each to its cap).
   */
  runs?: string;
  /** What the user should know of how the target carries the strategy out (an A/B split per request). */
  note?: string;
  /**
   * Listed not for a version change but for the PR's candidate still deployed (`from`/`to` absent):
   * its job withdraws it (or, on the merge, promotes only what the merged head declares).
   */
  live?: LiveCandidate;
}

/**
 * A PR's candidate deployed for a model whose version the PR no longer changes, or (`withdrawPending`)
 * one whose release ended while taking it out of service failed or was not confirmed.
 */
export interface LiveCandidate {
  version: string;
  /** `analysing` or `ready`; how the release ended when its withdrawal is pending. */
  status: Release['status'];
  /** Its withdrawal is pending: the job tries it again. */
  withdrawPending?: true;
  /** What its job does with it, in one sentence. */
  reason: string;
}

/** A GitHub Actions matrix: one job per model, each passing `model: ${{ matrix.model }}`. */
export interface Matrix {
  include: { model: string }[];
}

/**
 * What a run would do, without deploying anything. `matrix` is always valid JSON for
 * `fromJSON`; with no models its `include` is empty and `hasModels` false, so a workflow can
 * skip the fan-out job (GitHub fails a matrix job whose matrix is empty).
 */
export interface Plan {
  models: PlannedModel[];
  matrix: Matrix;
  hasModels: boolean;
  /**
   * A PR's candidates that may be live of models the config no longer names (undeclared-models.ts):
   * no job of the matrix could drive or withdraw them, so the plan job fails on this once its
   * outputs are set, as the single job fails once it acted on the other models.
   */
  undeclared?: ConfigError;
}

export interface PlanOptions {
  /** Only this model (the action's `model` input). */
  only?: string;
  /** The files the PR touches, when known (as a release reads them). */
  touched?: ReadonlySet<string>;
}

/** The models whose declared version changes from `base` to `head`: the ones a release would deploy. */
export async function planChanges(
  config: Config,
  reader: FileReader,
  base: string,
  head: string,
  opts: PlanOptions = {},
): Promise<Plan> {
  const changed = await findChangedModels(config, reader, base, head, opts.only, opts.touched);
  return planOf(changed.map((change) => planned(config.models[change.model] as ModelConfig, change)));
}

/**
 * A `pull_request` event's plan: the models whose declared version the PR changes (read as the
 * release a matrix job runs reads them: the PR's files, base and head), then each model with a
 * candidate of this PR still live (analysing or ready) whose version it no longer changes (put
 * back, the file deleted), or any live one on a close: without a job of its own, nothing would
 * withdraw it and it would hold the canary slot for ever. On a merge, what the merged head leaves
 * of each live candidate is decided as the model's job decides it (mergedHeadVerdict). A model whose
 * release of this PR ended with its withdrawal pending (the platform refused it, or its run stopped
 * first) is listed too: its job tries the withdrawal again, as a re-run's would. A model whose release
 * of this PR ended earlier gets no job; the plan itself passes the head's status for it
 * (passEndedRelease), the one write a plan makes, else a required `model-gate/<model>` would wait on
 * the head for ever. A dry run writes nothing, that status included. A live candidate of this PR
 * whose model the config no longer names gets no job (none could act on it): `undeclared` says so.
 */
export async function planPullRequest(
  config: Config,
  ports: Pick<Ports, 'ledger' | 'reader' | 'touchedFiles' | 'passNoLongerChanged'>,
  event: PullRequestEvent,
  only?: string,
  opts: { dryRun?: boolean } = {},
): Promise<Plan> {
  // As the model's job reads it (handlePullRequest): from where the head branched. A close without
  // merge lists every live candidate whatever the files say, and must not wait on GitHub for it.
  const compares = event.action !== 'closed' || event.merged;
  const pr = compares ? await sinceBranchPoint(event, ports.reader) : event;
  const touched = await ports.touchedFiles?.(pr.number);
  const changed = await changedByPullRequest(config, ports.reader, pr, only, touched);
  const models: PlannedModel[] = [];
  for (const change of changed) {
    const model = config.models[change.model] as ModelConfig;
    // On a close, its job runs no phase: it retries a pending withdrawal, or (merged over a
    // candidate of an earlier head) withdraws that candidate unpromoted.
    const release = pr.action === 'closed' ? await ports.ledger.release(model.name) : undefined;
    const live =
      pendingWithdrawal(release, pr) ??
      (pr.action === 'closed' && pr.merged ? await withdrawnOnMerge(model, release, ports, pr) : undefined);
    models.push(live ? { ...planned(model), live } : planned(model, change));
  }
  for (const name of only === undefined ? Object.keys(config.models) : [only]) {
    const model = config.models[name];
    if (!model || changed.some((c) => c.model === name)) continue;
    const release = await ports.ledger.release(name);
    const live = (await liveCandidate(model, release, ports, pr)) ?? pendingWithdrawal(release, pr);
    if (live) models.push({ ...planned(model), live });
    else if (pr.action !== 'closed' && !opts.dryRun) await passEndedRelease(model, release, pr, ports);
  }
  const undeclared = (await undeclaredOfPr(config, pr.number, ports.ledger, only)).flatMap((e) => e.problems);
  return { ...planOf(models), ...(undeclared.length > 0 ? { undeclared: new ConfigError(undeclared) } : {}) };
}

/**
 * The models the PR changes. On a close, a model whose version file is invalid at the head is
 * left out rather than failing the plan: its live candidate, if any, is listed with the error,
 * and its job withdraws it; else nothing would, and it would hold the canary slot for ever.
 */
async function changedByPullRequest(
  config: Config,
  reader: FileReader,
  pr: PullRequestEvent,
  only: string | undefined,
  touched: ReadonlySet<string> | undefined,
): Promise<ChangedModel[]> {
  const read = (name?: string) => findChangedModels(config, reader, pr.baseSha, pr.headSha, name, touched);
  if (pr.action !== 'closed') return read(only);
  const changed: ChangedModel[] = [];
  if (only !== undefined) checkModelName(config, only);
  for (const name of only === undefined ? Object.keys(config.models) : [only]) {
    try {
      changed.push(...(await read(name)));
    } catch (err) {
      if (!(err instanceof VersionError)) throw err;
    }
  }
  return changed;
}

/** The PR's live candidate of `model` that its job will settle, if any (as the engine decides it). */
async function liveCandidate(
  model: ModelConfig,
  release: Release | undefined,
  ports: Pick<Ports, 'reader'>,
  pr: PullRequestEvent,
): Promise<LiveCandidate | undefined> {
  if (release?.pr !== pr.number || !inFlight(release)) return undefined;
  const { status, to: version } = release;
  const said = { model, version, status, headSha: pr.headSha };
  const live = (reason: string): LiveCandidate => ({ version, status, reason });
  // Closed without merging: every live candidate of the PR is withdrawn.
  if (pr.action === 'closed' && !pr.merged) return live(liveCandidateReason({ ...said, event: 'closed' }));
  if (pr.action === 'closed') return (await mergedCandidate(model, release, ports, pr)).live;
  const head = await unchangedVersion(ports.reader, pr.baseSha, pr.headSha, model.source);
  // The files say the head changes it (a list of touched files older than the head): its job leaves it too.
  return head && live(liveCandidateReason({ ...said, event: 'open', head }));
}

/**
 * The PR's candidate whose release ended while taking it out of service failed (refused by the
 * platform, say on a close or a dispatch abort) or was not confirmed (its run stopped first): it may
 * still get live traffic, and holds the canary slot. Its job retries the withdrawal, whatever the
 * event (the PR's re-run, a new head, its close or merge), as the model's job does
 * (withdrawNoLongerChanged, retryPending, a resumed release); without it, nothing would until a
 * schedule tick.
 */
function pendingWithdrawal(release: Release | undefined, pr: PullRequestEvent): LiveCandidate | undefined {
  if (release?.pr !== pr.number || !release.withdrawPending || inFlight(release)) return undefined;
  const { to: version, status } = release;
  const how = withdrawalUnderWay(release)
    ? 'was recorded but never confirmed (its run stopped first)'
    : 'failed earlier';
  const reason = `withdrawing ${version} of this PR ${how}, so it may still get live traffic: its job tries the withdrawal again, which frees the canary slot`;
  return { version, status, withdrawPending: true, reason };
}

/**
 * On a merge, the PR's candidate of a model the merged head changes, when its job withdraws it
 * unpromoted (analysed on an earlier head that declared another version, on-merge: require-pass):
 * what the plan says instead of the change's phases, which no job runs.
 */
async function withdrawnOnMerge(
  model: ModelConfig,
  release: Release | undefined,
  ports: Pick<Ports, 'reader'>,
  pr: PullRequestEvent,
): Promise<LiveCandidate | undefined> {
  if (release?.pr !== pr.number || !inFlight(release)) return undefined;
  const { verdict, live } = await mergedCandidate(model, release, ports, pr);
  return verdict.settle === 'withdraw' ? live : undefined;
}

/** What the merge does with the PR's live candidate, as its job's settleEarlierHeads decides it, and the plan's words for it. */
async function mergedCandidate(
  model: ModelConfig,
  release: Release & { status: 'analysing' | 'ready' },
  ports: Pick<Ports, 'reader'>,
  pr: PullRequestEvent,
): Promise<{ verdict: MergedHeadVerdict; live: LiveCandidate }> {
  const verdict = await mergedHeadVerdict(model, release, pr, ports.reader);
  const { status, to: version } = release;
  const head = verdict.settle === 'keep' ? {} : { head: verdict.head };
  const reason = liveCandidateReason({
    model,
    version,
    status,
    headSha: pr.headSha,
    event: 'merged',
    ...head,
  });
  return { verdict, live: { version, status, reason } };
}

/** Every configured model (or `only`): the fan-out of commands that act on any model (tick, status). */
export function planAll(config: Config, only?: string): Plan {
  if (only !== undefined) checkModelName(config, only);
  const models = Object.values(config.models).filter((m) => only === undefined || m.name === only);
  return planOf(models.map((model) => planned(model)));
}

export const emptyPlan = (): Plan => planOf([]);

function planOf(models: PlannedModel[]): Plan {
  return {
    models,
    matrix: { include: models.map((m) => ({ model: m.model })) },
    hasModels: models.length > 0,
  };
}

/** The action's default max-wait: how long one job in watch mode drives a release. */
const JOB_MAX_WAIT_MS = 5 * 3_600_000;

/** Said of a phase that may outlast one job in watch mode: what drives it then. */
const beyondJob = (ms: number) =>
  ms > JOB_MAX_WAIT_MS
    ? `; longer than a job's max-wait (${formatDuration(JOB_MAX_WAIT_MS)} by default), so drive it with schedule ticks (command: tick)`
    : '';

/**
 * How long an A/B runs: not a fixed step, so the plan says what ends it and, when it may outlast
 * a job, what drives it.
 */
const abLength = (capMs: number) =>
  `until its conversion gates decide or reach their planned sample size, at most ${formatDuration(capMs)} (step-duration)${beyondJob(capMs)}`;

/**
 * How long a phase with a hold runs (a shadow's `duration`, a blue-green bake's `bake-duration`): it
 * lasts its hold even when its gates pass sooner, and the longer of the hold and step-duration at
 * most (tick.ts).
 */
function holdLength(holdMs: number, field: string, stepDurationMs: number): string {
  const hold = `${formatDuration(holdMs)} (${field})`;
  return holdMs >= stepDurationMs
    ? hold
    : `at least ${hold}, until its gates pass, at most ${formatDuration(stepDurationMs)} (step-duration)`;
}

/** How long a shadow runs: its one phase's hold. */
export function shadowLength(s: ShadowStrategyConfig): string {
  return `${holdLength(s.durationMs, 'duration', s.stepDurationMs)}${beyondJob(Math.max(s.durationMs, s.stepDurationMs))}`;
}

/**
 * How long steps run (a canary's, linear's, a rolling update's batches): each ends once its gates
 * pass, at step-duration at most (tick.ts), so the release takes their sum at most.
 */
function stepsLength(n: number, noun: string, nouns: string, stepDurationMs: number): string {
  const cap = formatDuration(stepDurationMs);
  if (n === 1) return `until its gates pass, at most ${cap} (step-duration)${beyondJob(stepDurationMs)}`;
  const total = n * stepDurationMs;
  return `until its gates pass at each ${noun}, at most ${cap} a ${noun} (step-duration): ${formatDuration(total)} at most over ${n} ${nouns}${beyondJob(total)}`;
}

/** What ends each phase of the strategy and the longest the release's analysis can take. */
export function runsOf(strategy: StrategyConfig): string {
  const n = phasesOf(strategy).length;
  switch (strategy.type) {
    case 'ab':
      return abLength(strategy.stepDurationMs);
    case 'shadow':
      return shadowLength(strategy);
    case 'blue-green': {
      const { bakeDurationMs: bake, stepDurationMs: step } = strategy;
      const smoke = strategy.smoke ? 'its smoke test, then a bake of ' : '';
      return `${smoke}${holdLength(bake, 'bake-duration', step)}${beyondJob(Math.max(bake, step))}`;
    }
    case 'rolling':
      return stepsLength(n, 'batch', 'batches', strategy.stepDurationMs);
    default:
      return stepsLength(n, 'step', 'steps', strategy.stepDurationMs);
  }
}

function planned(model: ModelConfig, change?: ChangedModel): PlannedModel {
  const { strategy } = model;
  const note =
    strategy.type === 'ab' ? perRequestSplitNote(model.target.type, strategy.stickyHeader) : undefined;
  return {
    model: model.name,
    ...(change?.from !== undefined ? { from: change.from } : {}),
    ...(change ? { to: change.to } : {}),
    strategy: model.strategy.type,
    target: model.target.type,
    phases: phasesOf(model.strategy).map((p) => ({
      name: p.name,
      weight: p.weight,
      slot: p.candidateSlot,
      ...(p.smoke ? { smoke: true as const } : {}),
    })),
    runs: runsOf(strategy),
    ...(note ? { note } : {}),
  };
}
