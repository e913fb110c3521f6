import type { Config, ModelConfig } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import { hideUrlSecrets } from '../core/safe-url.js';
import type { TrafficState } from '../core/traffic.js';
import { type LedgerEntry, LedgerStateError } from '../ledger/ledger.js';
import type { Target } from '../targets/target.js';
import { type BlueAtStatus, blueAtStatus } from './blue-at-status.js';
import type { CommandInputs } from './commands.js';
import { modelNamed } from './commands.js';
import { defectOf, reportIt, stoppedOn } from './defects.js';
import { onOtherTarget } from './deployed-target.js';
import { type DriftRecord, openDrift, withRecord } from './drift-alert.js';
import { type DriftReport, driftNotChecked, watchDrift } from './drift-watch.js';
import { ledgerKnown } from './ledger-known.js';
import { fullTrafficCandidate, type LiveCandidate, liveCandidate } from './live-candidate.js';
import type { Ports } from './ports.js';
import type { RunResult, ServingState } from './pull-request.js';
import { endedReleaseOf } from './status-ended.js';
import type { Release } from './types.js';

/**
 * What command status found of a model: what serves (ServingState), and where the target and the
 * ledger differ, each said in the report (decision.ts statusGapLines) and its heading.
 */
export interface StatusServing extends ServingState {
  /**
   * A version the target gives a share of live traffic (not all of it: that is `candidate`), which
   * no release in flight on record put there; `ended`, the model's last release, of that version,
   * ended without taking it out (its record ended by hand, say).
   */
  offRecord?: { version: string; share: string; ended?: Release };
  /**
   * The release in flight whose running phase gives its candidate `weight`% of live traffic, where
   * the target gives it `live` (`none`, or its share): the next look records what the target has.
   */
  notAsRecorded?: { release: Release; weight: number; live: string };
  /** A drift of the version serving on record since `since` (by run `by`), not over yet. */
  drifting?: { since: number; by?: string };
  /**
   * The drift watch's look this status run took (`at`), recording nothing: its report, and the
   * ledger's answer to it read as a dry run reads it (`record`; undefined where the look gave no
   * verdict or the ledger could not be read, `recordUnread` saying why). `maxPsi`: the level.
   */
  driftLook?: {
    at: number;
    report: DriftReport;
    maxPsi: number;
    record?: DriftRecord;
    recordUnread?: string;
  };
  /**
   * The release holding the slot, analysing or ready, whose PR GitHub has closed (`closed`) or merged
   * (`merged`) with no job recording it (cancelled, lost, or still running): nobody can merge it.
   * `live`: the share of live traffic the target gives its candidate, if any.
   */
  prGone?: { release: Release; state: 'closed' | 'merged'; live?: string };
  /**
   * Blue-green's blue inside its rollback-window, where nothing takes its slot (no release in flight,
   * no candidate with live traffic): whether the target still has it deployed. The report says it is
   * kept warm for a rollback only then.
   */
  blue?: BlueAtStatus;
}

/**
 * What serves (as the target reports it) and the last promotion or rollback of each model (of
 * `model`, if given), and the release in flight, if any. Reads only. A candidate taking all live
 * traffic (a rolling release on every instance, a blue-green bake, a canary at 100%) is what
 * serves, whether a release put it there or not: the serving state names it (`candidate`), and
 * the report says so in place of "serves <stable> since …". A candidate with a share of it that no
 * release in flight put there, a release in flight whose candidate the target does not serve as
 * recorded, a release whose PR was closed or merged with no job recording it, and the drift watch's
 * look (taken here, recorded nothing) are said too (StatusServing): "nothing in flight" would hide them.
 * Blue-green's blue is said kept warm for a rollback only while the target still has it deployed.
 */
export async function status(config: Config, inputs: CommandInputs, ports: Ports): Promise<RunResult> {
  const models = inputs.model ? [modelNamed(config, inputs.model)] : Object.values(config.models);
  // The models are read side by side (ledger, target, PR, drift watch's look): a platform or a
  // metrics source that hangs costs one timeout in all, not one per model. What each found, its
  // warnings and a failure come out in config order, as when they were read one after another.
  const reads = await Promise.allSettled(models.map((model) => statusOf(model, ports)));
  const result: RunResult = { releases: [], skipped: [], serving: [] };
  for (const read of reads) {
    if (read.status === 'rejected') throw read.reason;
    for (const warning of read.value.warnings) ports.log.warn(warning);
    result.releases.push(...read.value.releases);
    result.serving?.push(read.value.state);
  }
  return result;
}

/**
 * What command status reads of one model: the releases its report names (the one in flight, or an
 * ended one whose candidate still serves), its serving state, and the warnings to log, held so that
 * they come in config order.
 */
async function statusOf(
  model: ModelConfig,
  ports: Ports,
): Promise<{ releases: Release[]; state: StatusServing; warnings: string[] }> {
  const releases: Release[] = [];
  const warnings: string[] = [];
  const candidate = await ports.ledger.canaryHolder(model.name);
  if (candidate) releases.push(candidate);
  // The last release, ended: its candidate may still serve (an abort that ended its record alone).
  const last = candidate ? undefined : await ports.ledger.release(model.name);
  const history = await ports.ledger.history(model.name);
  const state: StatusServing = { model: model.name, last: history.at(-1) };
  const target = ports.targetFor(model);
  let live: LiveCandidate | undefined;
  let read: TrafficState | undefined;
  try {
    read = await target.read(ledgerKnown(history, candidate, last?.to));
    state.version = read.stable.version;
    live = liveCandidate(read);
    const takesAll = live && fullTrafficCandidate(live, model.strategy.type, candidate);
    if (takesAll) state.candidate = takesAll;
    if (live && live.version !== candidate?.to) {
      const ended =
        last?.to === live.version ? last : await endedReleaseOf(ports.ledger, model.name, live.version);
      if (ended) releases.push(ended);
      if (!takesAll) state.offRecord = { version: live.version, share: live.share, ...(ended && { ended }) };
    }
    const differs = candidate && !onOtherTarget(candidate, target) && notAsRecorded(candidate, live);
    if (differs) state.notAsRecorded = differs;
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    state.unread = err.message;
  }
  if (read && !candidate && !live) {
    const blue = await blueOf(model, target, read, state.last, ports, (message) => warnings.push(message));
    if (blue) state.blue = blue;
  }
  if (candidate) {
    const share = live?.version === candidate.to ? live.share : undefined;
    const gone = await prGone(candidate, ports, (message) => warnings.push(message), share);
    if (gone) state.prGone = gone;
  }
  if (model.driftWatch && state.unread === undefined) await lookForDrift(model, candidate, state, ports);
  return { releases, state, warnings };
}

/**
 * Blue as the target has it (blue-at-status.ts); one the platform could not be asked about is said
 * in a warning, and the report claims nothing of it.
 */
async function blueOf(
  model: ModelConfig,
  target: Target,
  read: TrafficState,
  last: LedgerEntry | undefined,
  ports: Ports,
  warn: (message: string) => void,
): Promise<BlueAtStatus | undefined> {
  try {
    return await blueAtStatus(model, target, read, last, ports.clock.now());
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    warn(
      `${model.name}: could not check that blue ${last?.previous} is still deployed for a rollback: ${err.message}`,
    );
    return undefined;
  }
}

/**
 * Where the target does not give `release`'s candidate the share of live traffic its running phase
 * records (`live`: what the target gives it): none at all, or, on a canary, another weight.
 * A ready release (idle, or keeping its last phase's traffic after a merge) is left out.
 */
function notAsRecorded(release: Release, live?: LiveCandidate): StatusServing['notAsRecorded'] {
  const phase = release.phases.at(-1);
  if (release.status !== 'analysing' || !phase || phase.endedAt !== undefined || phase.weight <= 0)
    return undefined;
  const ours = live?.version === release.to ? live : undefined;
  if (!ours) return { release, weight: phase.weight, live: 'none' };
  const sameWeight = ours.by !== 'weight' || ours.share === `on ${phase.weight}% of live traffic`;
  return sameWeight ? undefined : { release, weight: phase.weight, live: ours.share };
}

/**
 * The PR of `release` (analysing or ready, its merge not on record), as GitHub has it now: closed
 * or merged, where no job recorded it (one request, ports.pullRequestState, as a tick asks it:
 * closed-meanwhile.ts). Open, unknown (no such port, no PR) or unreadable (said in a warning): none.
 */
async function prGone(
  release: Release,
  ports: Ports,
  warn: (message: string) => void,
  live?: string,
): Promise<StatusServing['prGone']> {
  const { pr } = release;
  const asked = release.status === 'analysing' || release.status === 'ready';
  if (!asked || pr === undefined || release.withdrawPending || release.mergedAt !== undefined)
    return undefined;
  if (!ports.pullRequestState) return undefined;
  try {
    const now = await ports.pullRequestState(pr);
    if (now?.state !== 'closed' && now?.state !== 'merged') return undefined;
    return { release, state: now.state, ...(live === undefined ? {} : { live }) };
  } catch (err) {
    warn(
      `${release.model}: could not read the state of PR #${pr} (${(err as Error).message}); status reports ${release.to} as its record has it`,
    );
    return undefined;
  }
}

/**
 * The drift watch's look at the version serving, as a dry-run tick takes it (watchDrift, then the
 * ledger's record read and not written): its statistics and verdict, and whether a drift is on
 * record. A source that fails (metrics, the target, GitHub) makes the look say so; status never fails on it.
 */
async function lookForDrift(
  model: ModelConfig,
  holder: Release | undefined,
  state: StatusServing,
  ports: Ports,
): Promise<void> {
  const at = ports.clock.now();
  const maxPsi = model.driftWatch?.maxPsi ?? 0;
  const unread = (err: unknown) =>
    isGitHubError(err) ? describeGitHubError(err) : hideUrlSecrets((err as Error).message);
  let report: DriftReport | undefined;
  try {
    // The look's note is its line of the report: logged too, it would be said twice.
    const quiet = { ...ports, log: { info: () => {}, warn: () => {} } };
    report = await watchDrift(model, quiet, { holder, nextLook: 'the next schedule tick' });
  } catch (err) {
    // A status run reports, never fails on a look: the ledger unread, or a defect, is its line.
    const defect = defectOf(err, []);
    const why = defect
      ? reportIt(stoppedOn(defect))
      : isGitHubError(err) || err instanceof LedgerStateError
        ? `the ledger could not be read: ${unread(err)}`
        : unread(err);
    report = driftNotChecked(model.name, state.version ?? '', why);
  }
  if (!report) return;
  const look: NonNullable<StatusServing['driftLook']> = { at, report, maxPsi };
  state.driftLook = look;
  try {
    // Only a verdict (its sizes measured) is put to the record, as a tick puts it.
    if (!report.inconclusive && report.sizes !== undefined) {
      const record = await ports.ledger.recordDrift(report, at, { dryRun: true });
      look.record = record;
      look.report = withRecord(report, record);
      if (record.change === 'continues')
        state.drifting = { since: record.since, ...(record.by === undefined ? {} : { by: record.by }) };
      return;
    }
    const version = report.version || state.version;
    const drifting = version
      ? await openDrift(ports.ledger, model.name, version, ports.clock.now())
      : undefined;
    if (drifting) state.drifting = drifting;
  } catch (err) {
    if (!isGitHubError(err) && !(err instanceof LedgerStateError)) throw err;
    look.recordUnread = unread(err);
  }
}
