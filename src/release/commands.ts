import { formatDuration } from '../config/duration.js';
import { didYouMean, quote } from '../config/messages.js';
import type { Config, ModelConfig } from '../config/types.js';
import { ConfigError, InputError, ModelGateError, TargetError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { PolicyRefusedError, TargetRefusedError } from '../targets/errors.js';
import { NotDeployedError } from '../targets/not-deployed.js';
import { withdrawTraffic } from '../targets/reconcile.js';
import type { KnownVersions } from '../targets/target.js';
import { validateVersion } from '../version/validate-version.js';
import { changeBack, refusalWords } from './change-back.js';
import { confirmingContext, UnconfirmedChange } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { endedWithoutWithdrawal, leftOnOtherTarget, onOtherTarget } from './deployed-target.js';
import { candidateOf, wouldDrive, wouldPromote, wouldWithdraw } from './dry-run.js';
import {
  announceEnd,
  endThenWithdraw,
  hasLiveTraffic,
  notOverOffRecord,
  offRecordWords,
  promote,
  retryWithdrawal,
  settleWithdrawal,
  stableFound,
} from './finish.js';
import { ledgerKnown } from './ledger-known.js';
import {
  beforeChange,
  LedgerUnread,
  ledgerBeforeChange,
  rollingBackUnread,
  stoppedUnread,
} from './ledger-unread.js';
import { liveCandidate } from './live-candidate.js';
import { rolledBackToCandidate } from './phase-notes.js';
import { contextFor, type Ports } from './ports.js';
import { notReady } from './promote-not-ready.js';
import type { RunResult } from './pull-request.js';
import { status } from './status-command.js';
import { holdsSlot, inFlight, type Release } from './types.js';

export interface CommandInputs {
  model?: string;
  /** Read by rollback only; its callers refuse it for the other commands (inputs.ts commandOn, the CLI's run). */
  toVersion?: string;
  /** How the caller sets `toVersion`, for a message that asks for it (default `to-version`, the action's input). */
  toVersionName?: string;
  /** How the caller sets `model`, for a message that asks for it (default `the model input`, the action's). */
  modelName?: string;
  dryRun: boolean;
  /**
   * What started the command, as the user knows it: `workflow_dispatch`, `schedule`, or
   * `model-gate run` on the command line. It is named in the ledger's summary and the reports.
   */
  trigger?: string;
}

/** workflow_dispatch commands: act on one model (or report on all) without any analysis. */
export async function handleCommand(
  config: Config,
  command: 'release' | 'rollback' | 'promote' | 'abort' | 'status' | 'tick',
  inputs: CommandInputs,
  ports: Ports,
): Promise<RunResult> {
  if (command === 'status') return status(config, inputs, ports);
  if (command === 'release' || command === 'tick')
    throw new InputError(
      `command ${command} needs a ${command === 'release' ? 'pull_request' : 'schedule'} event`,
    );
  const model = pickModel(config, inputs.model, command, inputs.modelName);
  const by = `by ${inputs.trigger ?? `the ${command} command`}`;
  if (command === 'rollback') {
    try {
      return await rollbackOnRecord(model, inputs, ports, by);
    } catch (err) {
      // Nothing changed yet: GitHub failed a read of the ledger before the change.
      if (!(err instanceof LedgerUnread)) throw err;
      return rollbackUnread(model, inputs, ports, by, err);
    }
  }
  const ctx = contextFor(model, ports);
  const release = await ports.ledger.release(model.name);
  const elsewhere = elsewhereOf(release, ctx);
  switch (command) {
    case 'promote': {
      if (release?.status !== 'ready')
        throw notReady(model.name, release, inputs.trigger === 'model-gate run');
      return promoteReady(release, ctx, inputs, ports, by);
    }
    case 'abort': {
      if (elsewhere) return abortElsewhere(model, elsewhere, inputs, ports, by);
      if (release?.withdrawPending && !inFlight(release)) return abortPending(model, release, inputs, ports);
      if (!release || !inFlight(release)) {
        const why = 'no release in flight to abort';
        return { releases: [], skipped: [{ model: model.name, why, kind: 'note' }] };
      }
      const why = `aborted ${by}`;
      if (inputs.dryRun)
        return {
          releases: [],
          skipped: [{ model: model.name, why: wouldWithdraw(release, why), kind: 'dry-run' }],
        };
      // A refusal fails the run, as a refused rollback does: the candidate may still get live
      // traffic. The end is recorded first, and the PR's comment says so (announceEnd).
      const end = { status: 'aborted' as const, why, desired: withdrawTraffic(release.from) };
      const aborted = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
      if (aborted.refused) throw refusedWithCandidate(aborted.refused, aborted.release, 'abort');
      return { releases: [aborted.release], skipped: [] };
    }
  }
}

/**
 * A candidate recorded on a target this config does not name (the model moved, or its target is
 * gone: a sandbox restarted on another port): neither a rollback nor an abort touches it there.
 */
const elsewhereOf = (release: Release | undefined, ctx: ReleaseContext): Release | undefined =>
  release && holdsSlot(release) && onOtherTarget(release, ctx.target) ? release : undefined;

/**
 * The rollback command as the ledger has the model: every read of the ledger before the traffic
 * change is one short try (ledgerBeforeChange) through beforeChange, GitHub failing it throwing
 * LedgerUnread (rollbackUnread).
 */
async function rollbackOnRecord(
  model: ModelConfig,
  inputs: CommandInputs,
  ports: Ports,
  by: string,
): Promise<RunResult> {
  const ctx = contextFor(model, ports);
  const release = await beforeChange(ledgerBeforeChange(ports).release(model.name));
  const elsewhere = elsewhereOf(release, ctx);
  // The rollback acts on this run's target; the candidate elsewhere is left alone, saying so.
  const result = await rollback(model, inputs, ports, by, elsewhere ? undefined : release);
  if (!elsewhere) return result;
  const why = leftOnOtherTarget(elsewhere, ctx.target);
  ports.log.warn(`${model.name}: ${why}`);
  return { ...result, skipped: [...result.skipped, { model: model.name, why, kind: 'note' }] };
}

/**
 * A rollback whose ledger GitHub could not read before the change (an outage, a rate limit): one
 * that names `to-version` makes the change all the same, the target alone at that version (any
 * candidate withdrawn by that call), then records it (recordTaken: its failure says the rollback
 * took); the ledger's checks (a candidate in flight, a version that never served) are skipped, which
 * the log says. Without `to-version`, what to go back to is the ledger's to say: it stops, nothing
 * changed (stoppedUnread).
 */
async function rollbackUnread(
  model: ModelConfig,
  inputs: CommandInputs,
  ports: Ports,
  by: string,
  unread: LedgerUnread,
): Promise<RunResult> {
  const ctx = contextFor(model, ports);
  const toVersionName = inputs.toVersionName ?? 'to-version';
  if (!inputs.toVersion) throw await stoppedUnread(model.name, ctx, unread, toVersionName);
  const to = validateVersion(inputs.toVersion, { file: 'input', key: 'to-version' });
  if (!inputs.dryRun) ports.log.warn(rollingBackUnread(model.name, unread, to));
  const known = ledgerKnown([], undefined, to);
  const state = await ctx.target.read(known);
  const replaced = state.stable.version;
  const note = (why: string, kind: 'note' | 'dry-run' = 'note'): RunResult => ({
    releases: [],
    skipped: [{ model: model.name, why, kind }],
  });
  if (sameTraffic(state, withdrawTraffic(to)))
    return note(`${to} already serves: nothing to roll back, nothing changed`);
  if (inputs.dryRun)
    return note(
      `${unread.message}: would roll back ${describeTraffic(state)} -> ${to} alone without it, its checks skipped`,
      'dry-run',
    );
  const another = askAnother(to, [], [replaced], toVersionName);
  await changeBack(confirmingContext(ctx), model.name, replaced, to, known, {
    named: toVersionName,
    another,
  });
  if (replaced === to)
    return note(
      `${to} already served: only the other traffic (${describeTraffic(state)}) was withdrawn, so no rollback is recorded`,
    );
  const entry: LedgerEntry = {
    model: model.name,
    kind: 'rollback',
    version: to,
    previous: replaced,
    at: ctx.clock.now(),
    summary: `rolled back ${by}`,
  };
  await recordTaken(entry, ports, toVersionName);
  return { releases: [], skipped: [], rollbacks: [entry], notify: [] };
}

/**
 * The promote command on ready `release`: what serves is read first, as a merge's promotion reads
 * it (finish.ts stableFound). A stable other than its `from` put in place by hand since its analysis
 * (a hotfix) is not replaced by a candidate never compared with it: the release ends aborted, its
 * candidate withdrawn beside that version (notOverOffRecord), a refusal failing the run as an
 * abort's does. Unread: the command fails, nothing changed. The candidate serving already (a
 * promotion that landed unrecorded) is promoted: recorded, no traffic changed. A dry run says which.
 */
async function promoteReady(
  release: Release,
  ctx: ReleaseContext,
  inputs: CommandInputs,
  ports: Ports,
  by: string,
): Promise<RunResult> {
  const { model, to } = release;
  const found = await stableFound(release, ctx);
  const dryRun = (why: string): RunResult => ({ releases: [], skipped: [{ model, why, kind: 'dry-run' }] });
  if ('unread' in found) {
    const { message } = found.unread;
    if (inputs.dryRun)
      return dryRun(`would not promote ${to} now: ${message}; a run now would fail, changing nothing`);
    throw new TargetError(
      `promote ${model}: ${to} was not promoted, and nothing was changed: ${message}; run the promote command again once the platform answers reads`,
    );
  }
  if ('offRecord' in found) {
    if (inputs.dryRun) {
      const why = offRecordWords(release, found.offRecord, ctx, 'command');
      return dryRun(`would not promote ${to}, and would withdraw it, its release ended aborted: ${why}`);
    }
    const stopped = await notOverOffRecord(release, found.offRecord, ctx, ports, 'command');
    if (stopped.refused)
      throw refusedWithCandidate(stopped.refused, stopped.release, 'abort', {}, stopped.release.reason);
    return { releases: [stopped.release], skipped: [] };
  }
  if (inputs.dryRun) return dryRun(wouldPromote(release));
  const promoted = await promote(release, ctx, ports.ledger, `promoted ${by}`);
  return { releases: [promoted], skipped: [] };
}

/**
 * Abort by hand a release recorded on a target this config does not name: its record is ended and
 * neither platform touched (deployed-target.ts endedWithoutWithdrawal), the way out of a record whose
 * target is gone (a sandbox restarted on another port). A dry run says it would.
 */
async function abortElsewhere(
  model: ModelConfig,
  release: Release,
  inputs: CommandInputs,
  ports: Ports,
  by: string,
): Promise<RunResult> {
  const target = ports.targetFor(model);
  const ended = endedWithoutWithdrawal(release, target, by, ports.clock.now());
  if (inputs.dryRun) {
    const why = `would end the record of ${candidateOf(release)} without touching either platform: ${ended.reason}`;
    return { releases: [], skipped: [{ model: model.name, why, kind: 'dry-run' }] };
  }
  await ports.ledger.saveRelease(ended);
  await announceEnd(ports)(ended);
  ports.log.warn(`${model.name}: ${ended.reason}`);
  return { releases: [ended], skipped: [] };
}

/**
 * Abort a release whose withdrawal is pending: it ended, but its candidate may still get live
 * traffic. Its withdrawal is tried again now, as the next schedule tick would (retryWithdrawal),
 * its status and reason kept, what the try did added. A try that does not take fails the run, the
 * record still pending (as a refused rollback does): the platform refused (its words), a defect, or
 * another version serves now, which only a rollback to a version the operator names settles.
 */
async function abortPending(
  model: ModelConfig,
  release: Release,
  inputs: CommandInputs,
  ports: Ports,
): Promise<RunResult> {
  if (inputs.dryRun)
    return { releases: [], skipped: [{ model: model.name, why: wouldDrive(release), kind: 'dry-run' }] };
  const ctx = contextFor(model, ports);
  const { release: next, failed, serving } = await retryWithdrawal(release, ctx, ports.ledger);
  await ports.ledger.saveRelease(next);
  if (!next.withdrawPending) return { releases: [next], skipped: [] };
  // The run stops here: the record goes where other runs read it (the PR's comment) first.
  await announceEnd(ports)(next);
  if (failed instanceof TargetError) throw refusedWithCandidate(failed, next, 'abort');
  if (failed) throw failed;
  throw new TargetError(
    `abort ${model.name}: ${candidateOf(next)} may still get live traffic beside ${serving ?? 'another version'}, which serves now in place of ${next.from}: model-gate leaves a version put in place since as it is; use the rollback command, naming the version to serve, to withdraw ${next.to}`,
  );
}

/**
 * One target call to `to-version` (default: the previous stable, see `previousStable`; while a
 * candidate in flight or whose withdrawal is pending takes all live traffic, its release's
 * `from`), no analysis; a release in flight for the model is ended as aborted, its candidate
 * withdrawn by that same call, its end recorded before the call (endThenWithdraw). One whose
 * withdrawal is pending (ended, its candidate maybe still live) is settled by that call, its status
 * kept (settleWithdrawal): a later retry of its withdrawal would undo the rollback. A rollback to
 * the version already serving records nothing: it only withdraws that release's candidate, if any.
 * One to that release's candidate is refused when the candidate never served (see
 * `refuseCandidate`); one that served before (a revert PR) is done, and the release ends saying its
 * candidate serves now. `to-version` is checked before the target is asked anything. A rollback
 * that landed unrecorded (unrecordedRollback: its run lost between its change and its record) is
 * recorded by a re-run with the same inputs, no traffic changed, rather than gone one further back.
 * Nor does one without `to-version` go further back less than RECENT_ROLLBACK_MS after a rollback
 * by command: it stays (a double click), only withdrawing a candidate in flight since, and says so.
 */
async function rollback(
  model: ModelConfig,
  inputs: CommandInputs,
  ports: Ports,
  by: string,
  release?: Release,
): Promise<RunResult> {
  const named = inputs.toVersion
    ? validateVersion(inputs.toVersion, { file: 'input', key: 'to-version' })
    : undefined;
  // A candidate whose withdrawal is pending is one too: it may take live traffic, all of it.
  const candidate = release && holdsSlot(release) ? release : undefined;
  const toVersionName = inputs.toVersionName ?? 'to-version';
  const ctx = contextFor(model, ports);
  const history = await beforeChange(ledgerBeforeChange(ports).history(model.name));
  // The candidate in flight is refused with words of its own (refuseCandidate).
  if (named !== undefined && named !== candidate?.to)
    await refuseNeverServed(model.name, named, history, toVersionName, ports);
  const state = await ctx.target.read(ledgerKnown(history, candidate, named));
  const serving = state.stable.version;
  // A candidate taking all live traffic (a blue-green bake, a rolling release on every instance)
  // is what serves: going back means its `from` (blue, kept warm), not the version before that.
  const takesAll = candidate !== undefined && takesAllTraffic(state, candidate.to);
  // An earlier run's rollback that landed unrecorded (its runner lost in between): `from` it.
  const unrecorded =
    named !== undefined || takesAll || candidate?.to === serving
      ? undefined
      : unrecordedRollback(history, serving);
  // A default rollback right after one by command (a double click, two engineers on one incident)
  // stays where that one left the model rather than going one further back.
  const recent =
    named === undefined && !takesAll && !unrecorded
      ? recentRollback(history, serving, ctx.clock.now())
      : undefined;
  // An earlier run's rollback to what serves whose record stopped half way (GitHub refused its
  // Deployment's status): a re-run stays, however long after, and completes that record.
  const halfRecorded =
    unrecorded || (named !== undefined && named !== serving)
      ? undefined
      : await halfRecordedRollback(history, serving, ports);
  const to = unrecorded
    ? serving
    : (named ??
      (takesAll
        ? candidate.from
        : recent || halfRecorded
          ? serving
          : previousStable(model.name, history, serving, toVersionName)));
  // The version the rollback replaces, as the ledger has it serve.
  const replaced = unrecorded ?? serving;
  // The candidate in flight may be an earlier version (a revert PR): a rollback to it stays one.
  const toCandidate = candidate?.to === to ? candidate : undefined;
  if (toCandidate && !servedBefore(to, history, serving))
    refuseCandidate(model.name, to, toCandidate, {
      input: toVersionName,
      named: named !== undefined,
      live: describeTraffic(state),
    });
  if (to === serving && !unrecorded) {
    const stays = recent && !halfRecorded && stayedAfter(recent, ctx.clock.now(), toVersionName, !candidate);
    const note = stays
      ? { releases: [], skipped: [{ model: model.name, why: stays, kind: 'note' as const }] }
      : undefined;
    // The candidate is withdrawn first: the record can wait, live traffic cannot.
    const result = candidate
      ? await rollbackToServing(model, inputs, ports, by, to, candidate, takesAll)
      : undefined;
    const completed = halfRecorded && (await completeRollback(halfRecorded, history, inputs.dryRun, ports));
    const parts = [result, note, completed || undefined].filter((r) => r !== undefined);
    if (parts.length === 0) return rollbackToServing(model, inputs, ports, by, to);
    return parts.reduce(joinResults);
  }
  const landed = unrecorded
    ? `${to} already serves, though the ledger's last entry leaves ${unrecorded} serving (a rollback whose run stopped before recording it, or a change by hand)`
    : undefined;
  if (inputs.dryRun) {
    const also = !candidate
      ? ''
      : toCandidate
        ? inFlight(candidate)
          ? `, which stops the analysis of ${candidateOf(candidate)}`
          : `, which settles the pending withdrawal of ${candidateOf(candidate)}: it serves instead`
        : ` and withdraw ${candidateOf(candidate)}`;
    const why = landed
      ? `${landed}: would record the rollback ${unrecorded} -> ${to}, changing no traffic${also}`
      : `would roll back ${serving} -> ${to}${also}`;
    return { releases: [], skipped: [{ model: model.name, why, kind: 'dry-run' }] };
  }
  // One call both serves `to` and takes any candidate out of service, read back patiently: a read
  // failing once after the platform took the change is no failed rollback (confirmed-change.ts).
  const change = confirmingContext(ctx);
  // Said only if the platform refuses the rollback itself (a version it lacks): what to ask instead.
  const another = askAnother(to, history, [replaced, serving], toVersionName);
  // A re-run records a rollback that took unconfirmed (unrecordedRollback), unless it was to the
  // candidate itself, which then serves as what the ledger names.
  const advice = { another, records: toCandidate ? undefined : to, to };
  const releases: Release[] = [];
  const withdrawnAlready =
    unrecorded && candidate && !inFlight(candidate)
      ? await settledWithoutChange(candidate, state, ctx, ports)
      : undefined;
  if (withdrawnAlready) releases.push(withdrawnAlready);
  else if (candidate && !inFlight(candidate)) {
    const done = toCandidate
      ? `${to} now serves as stable: a rollback ${by} went back to it`
      : `${candidate.to} withdrawn by the rollback to ${to} ${by}`;
    const attempt = { serves: to, done, attempt: `the rollback to ${to} ${by}` };
    const settled = await settleWithdrawal(candidate, attempt, change, ports.ledger, announceEnd(ports));
    if (settled.refused) throw refusedWithCandidate(settled.refused, settled.release, 'rollback', advice);
    releases.push(settled.release);
  } else if (candidate) {
    // Its candidate is `to`, serving now as stable: its analysis stopped, nothing was withdrawn.
    const why = toCandidate
      ? rolledBackToCandidate(candidate, by)
      : `rolled back to ${to} ${by}; ${candidate.to} withdrawn`;
    const ending = toCandidate ? { rollbackToCandidate: true as const } : undefined;
    const end = { status: 'aborted' as const, why, ending, desired: withdrawTraffic(to) };
    const stopped = await endThenWithdraw(candidate, end, change, ports.ledger, announceEnd(ports));
    if (stopped.refused) {
      const known = ledgerKnown(history, candidate, named);
      const rollback = { replaced, to, by, known };
      throw await refusedRollback(stopped.refused, stopped.release, change, ports, rollback, advice);
    }
    releases.push(stopped.release);
  } else if (!unrecorded) {
    const input = named === undefined ? undefined : toVersionName;
    const known = ledgerKnown(history, undefined, named);
    await changeBack(change, model.name, replaced, to, known, { named: input, another });
  }
  const now = ctx.clock.now();
  const entry: LedgerEntry = {
    model: model.name,
    kind: 'rollback',
    version: to,
    previous: replaced,
    at: now,
    summary: `rolled back ${by}`,
  };
  await recordTaken(entry, ports, named === undefined ? undefined : toVersionName);
  // The PR that brought the replaced version in (a rollback entry names none).
  const introducedBy = history.findLast((e) => e.version === replaced && e.pr !== undefined)?.pr;
  const why = `${replaced} was rolled back to ${to} ${by}`;
  const skipped: RunResult['skipped'] = [];
  if (landed) {
    const why = `${landed}: the rollback ${unrecorded} -> ${to} is recorded now, and no traffic changed`;
    skipped.push({ model: model.name, why, kind: 'note' });
  }
  return {
    releases,
    skipped,
    rollbacks: [entry],
    notify: introducedBy === undefined ? [] : [{ pr: introducedBy, model: model.name, why }],
  };
}

/**
 * Records the rollback `entry` whose traffic change took. Refused (GitHub without `deployments:
 * write`, an outage), the run fails saying the rollback took and how to record it, rather than
 * "stopped", which reads as a failed rollback in an incident. A re-run without a to-version records
 * a rollback that landed unrecorded and changes no traffic (unrecordedRollback); `named`: the input
 * this run's version came by, which such a re-run leaves out.
 */
async function recordTaken(entry: LedgerEntry, ports: Ports, named: string | undefined): Promise<void> {
  try {
    await ports.ledger.record(entry);
  } catch (err) {
    if (!isGitHubError(err) && !(err instanceof ModelGateError)) throw err;
    const why = describeGitHubError(err);
    // GitHub may have made the rollback's Deployment and refused its status: a re-run completes
    // that record (halfRecordedRollback), with the same inputs, whatever they are. A ledger that
    // writes an entry whole or not at all (a file: no finishRecord) has no half record, and the
    // command line has no job to re-run: the rollback run again records what landed.
    const again = rolledBackHow(entry) === 'by model-gate run' ? '`model-gate run rollback`' : 'the rollback';
    const rerun = !ports.ledger.finishRecord
      ? named === undefined
        ? `once that is fixed, run ${again} again: it records the rollback and changes no traffic`
        : `once that is fixed, run ${again} again without ${named}: it records the rollback, changing no traffic, if ${entry.version} is the version before ${entry.previous}`
      : named === undefined
        ? 're-run this job once that is fixed: it records the rollback, or completes its record, and changes no traffic'
        : `once that is fixed, re-run this job: it completes the record if GitHub kept the rollback's Deployment, changing no traffic; if the ledger still has ${entry.previous} serving then, a run without ${named} records it, changing no traffic, if ${entry.version} is the version before ${entry.previous}`;
    throw new ModelGateError(
      `${entry.model} now serves ${entry.version}: the rollback from ${entry.previous} took, but recording it failed (${why}), so the ledger's record may still have ${entry.previous} serving; ${rerun}`,
    );
  }
}

/**
 * The ledger's last entry, when it is a rollback leaving `serving` serving whose record an earlier
 * run left half written (its Deployment made, its status refused: recordTaken's failure), which
 * `history` counts all the same; undefined where the ledger writes an entry whole.
 */
async function halfRecordedRollback(
  history: LedgerEntry[],
  serving: string,
  ports: Ports,
): Promise<LedgerEntry | undefined> {
  const last = history.at(-1);
  const ledger = ledgerBeforeChange(ports);
  if (last?.kind !== 'rollback' || last.version !== serving || !ledger.finishRecord) return undefined;
  return (await beforeChange(ledger.finishRecord(last, { dryRun: true }))) ? last : undefined;
}

/**
 * Completes the record of the rollback `entry` (halfRecordedRollback): what recordTaken's error
 * promised a re-run does, changing no traffic. The PR that brought in the version it replaced gets
 * the note it missed. Refused again, the run fails saying so.
 */
async function completeRollback(
  entry: LedgerEntry,
  history: LedgerEntry[],
  dryRun: boolean,
  ports: Ports,
): Promise<RunResult> {
  const rollback = `the rollback ${entry.previous} -> ${entry.version} ${rolledBackHow(entry)}`;
  const stopped = `${rollback} took, but its record stopped half way (its Deployment has no status)`;
  if (dryRun) {
    const why = `${stopped}: would complete it, changing no traffic`;
    return { releases: [], skipped: [{ model: entry.model, why, kind: 'dry-run' }] };
  }
  try {
    await ports.ledger.finishRecord?.(entry);
  } catch (err) {
    if (!isGitHubError(err) && !(err instanceof ModelGateError)) throw err;
    throw new ModelGateError(
      `${entry.model} serves ${entry.version}: ${stopped}, and completing it failed (${describeGitHubError(err)}); re-run this job once that is fixed: it completes the record and changes no traffic`,
    );
  }
  const introducedBy = history.findLast((e) => e.version === entry.previous && e.pr !== undefined)?.pr;
  const why = `${entry.previous} was rolled back to ${entry.version} ${rolledBackHow(entry)}`;
  return {
    releases: [],
    skipped: [
      { model: entry.model, why: `${stopped}: it is complete now, and no traffic changed`, kind: 'note' },
    ],
    rollbacks: [entry],
    notify: introducedBy === undefined ? [] : [{ pr: introducedBy, model: entry.model, why }],
  };
}

/** Who rolled back, from a rollback entry's summary (`rolled back by workflow_dispatch`). */
const rolledBackHow = (entry: LedgerEntry): string =>
  entry.summary.startsWith('rolled back ')
    ? entry.summary.slice('rolled back '.length)
    : `(${entry.summary})`;

/** Two parts of one run's result (a withdrawal, a note, a completed record), as one. */
function joinResults(a: RunResult, b: RunResult): RunResult {
  const joined: RunResult = {
    releases: [...a.releases, ...b.releases],
    skipped: [...a.skipped, ...b.skipped],
  };
  if (a.rollbacks || b.rollbacks) joined.rollbacks = [...(a.rollbacks ?? []), ...(b.rollbacks ?? [])];
  if (a.notify || b.notify) joined.notify = [...(a.notify ?? []), ...(b.notify ?? [])];
  return joined;
}

/**
 * The candidate of a release whose withdrawal is pending, no longer live on the platform as read
 * (`state`): a rollback that landed unrecorded took it out (its end recorded first, endThenWithdraw).
 * Settled as a later try of its withdrawal settles it (retryWithdrawal), which reads the platform
 * again and changes nothing there; saved. Undefined where the candidate is live, or that try left
 * it pending: the rollback's own change withdraws it then.
 */
async function settledWithoutChange(
  candidate: Release,
  state: TrafficState,
  ctx: ReleaseContext,
  ports: Ports,
): Promise<Release | undefined> {
  if (hasLiveTraffic(state, candidate.to)) return undefined;
  const { release } = await retryWithdrawal(candidate, ctx, ports.ledger);
  if (release.withdrawPending) return undefined;
  await ports.ledger.saveRelease(release);
  return release;
}

/**
 * `to-version` already serves: no rollback to record, and the serving record stays as it is.
 * A candidate in flight is still withdrawn (the operator asked for `to` alone to serve);
 * otherwise nothing changes, which is said plainly and is no failure (a retried rollback).
 * `takesAll`: the candidate took all live traffic, `to` kept beside it without any (blue).
 */
async function rollbackToServing(
  model: ModelConfig,
  inputs: CommandInputs,
  ports: Ports,
  by: string,
  to: string,
  candidate?: Release,
  takesAll = false,
): Promise<RunResult> {
  if (!candidate) {
    const why = `${to} already serves: nothing to roll back, nothing changed`;
    return { releases: [], skipped: [{ model: model.name, why, kind: 'note' }] };
  }
  // The ledger never had the candidate serve: `to` stayed its stable version all along.
  const unrecorded = `${to} stayed the stable version on record, so no rollback is recorded`;
  if (inputs.dryRun) {
    const why = takesAll
      ? `would roll back to ${to}, withdrawing ${candidateOf(candidate)}, which takes all live traffic (${unrecorded})`
      : `${to} already serves: would record no rollback, only withdraw ${candidateOf(candidate)}`;
    return { releases: [], skipped: [{ model: model.name, why, kind: 'dry-run' }] };
  }
  // Its change read back patiently, as the rollback's own (confirmed-change.ts).
  const ctx = confirmingContext(contextFor(model, ports));
  if (!inFlight(candidate)) {
    const done = takesAll
      ? `rolled back to ${to} ${by}: ${candidate.to}, which took all live traffic, is withdrawn and ${to} serves again (${unrecorded})`
      : `${candidate.to} withdrawn by a rollback to ${to} ${by} (${to} already served, so no rollback was recorded)`;
    const change = { serves: to, done, attempt: `the rollback to ${to} ${by}` };
    const settled = await settleWithdrawal(candidate, change, ctx, ports.ledger, announceEnd(ports));
    if (settled.refused) throw refusedWithCandidate(settled.refused, settled.release, 'rollback');
    return { releases: [settled.release], skipped: [] };
  }
  const why = takesAll
    ? `rolled back to ${to} ${by}: ${candidate.to} took all live traffic and is withdrawn, ${to} serves again (${unrecorded})`
    : `a rollback to ${to} ${by} withdrew it (${to} already served, so no rollback was recorded)`;
  const end = { status: 'aborted' as const, why, desired: withdrawTraffic(to) };
  const stopped = await endThenWithdraw(candidate, end, ctx, ports.ledger, announceEnd(ports));
  if (stopped.refused) throw refusedWithCandidate(stopped.refused, stopped.release, 'rollback');
  return { releases: [stopped.release], skipped: [] };
}

/**
 * The platform refused the traffic change of a `command` (a rollback, an abort) that ended a release
 * or settles its pending withdrawal: the release is recorded as ended all the same, its withdrawal
 * pending, which the error says with what follows.
 */
function refusedWithCandidate(
  err: TargetError,
  release: Release,
  command: 'rollback' | 'abort',
  { another, records, to }: { another?: (err: TargetError) => string; records?: string; to?: string } = {},
  /** What the error opens with: the platform's words, or what a caller read made of them. */
  said = to === undefined ? err.message : refusalWords(err, to),
): TargetError {
  const pr = release.pr === undefined ? '' : ` of PR #${release.pr}`;
  // Taken but never read back: the candidate is probably out, which no read has confirmed yet.
  const retry =
    "as its candidate may still get live traffic, a re-run of the PR's job or the next schedule tick tries again to withdraw it";
  // Only the rollback command records a rollback in the ledger's history: a PR job's retry
  // settles the release alone, and the history would leave the old stable serving.
  const still =
    err instanceof UnconfirmedChange && records
      ? `its candidate is probably out of service, but until a read confirms it the withdrawal stays pending and the rollback is not in the ledger's history: run the rollback again once the platform answers reads, which records it (changing no traffic if ${records} serves already); a re-run of the PR's job or the next schedule tick settles the withdrawal but records no rollback`
      : err instanceof UnconfirmedChange
        ? `its candidate is probably out of service, but until a read confirms it the withdrawal stays pending: a re-run of the PR's job or the next schedule tick reads the platform and settles it; running the ${command} again is safe once the platform answers reads`
        : err instanceof TargetRefusedError && another
          ? `${retry}; ${another(err)}`
          : `${retry}; run the ${command} again once the platform answers`;
  return new TargetError(`${said}; the release of ${release.to}${pr} is recorded as ended, and ${still}`);
}

/**
 * The platform refused the one change of a rollback that was also to withdraw the candidate of
 * `release`, whose end endThenWithdraw recorded first in words that read as done (`rolled back to
 * v1 by …; v3 withdrawn`). Read again: where `replaced` still serves, the record's reason and the
 * error say the rollback did not take and what serves, as changeBack's do with no candidate. An
 * unconfirmed change (probably taken), or one the read leaves unclear, keeps refusedWithCandidate's
 * words. The record is written again best effort: the error says it all the same.
 */
async function refusedRollback(
  refused: TargetError,
  release: Release,
  ctx: ReleaseContext,
  ports: Ports,
  { replaced, to, by, known }: { replaced: string; to: string; by: string; known: KnownVersions },
  advice: { another?: (err: TargetError) => string; records?: string; to?: string },
): Promise<TargetError> {
  if (refused instanceof UnconfirmedChange) return refusedWithCandidate(refused, release, 'rollback', advice);
  const now = await ctx.target.read(known).catch((err: unknown) => {
    if (err instanceof TargetError) return undefined;
    throw err;
  });
  if (now?.stable.version !== replaced) return refusedWithCandidate(refused, release, 'rollback', advice);
  const reason = `a rollback to ${to} ${by} did not take (${refusalWords(refused, to)}): ${replaced} still serves, the platform as ${describeTraffic(now)}; ${release.to} may still get live traffic, its withdrawal pending`;
  const recorded = { ...release, reason };
  try {
    await ports.ledger.saveRelease(recorded);
    await announceEnd(ports)(recorded);
  } catch (err) {
    if (!isGitHubError(err)) throw err;
  }
  const said = `rollback ${release.model}: ${replaced} still serves, the platform did not take the rollback to ${to} (${refusalWords(refused, to)})`;
  return refusedWithCandidate(refused, recorded, 'rollback', advice, said);
}

/**
 * What to do after the platform refused a rollback to `to` itself (TargetRefusedError): the same
 * request gets the same answer, so name a version it has. The platform's own words may list them
 * (the sandbox's `available: …`); the ledger's recent stable versions, newest first, besides `to`
 * and those in `serving`, are named here.
 */
function askAnother(
  to: string,
  history: LedgerEntry[],
  serving: string[],
  input: string,
): (err: TargetError) => string {
  const versions = history.flatMap((e) => [e.previous, e.version]).reverse();
  const recent = [...new Set(versions)].filter((v) => v !== to && !serving.includes(v)).slice(0, 5);
  const listed = recent.length === 0 ? '' : ` (the ledger's recent stable versions: ${recent.join(', ')})`;
  return (err) => {
    if (err instanceof NotDeployedError)
      return `deploy ${to} to the endpoint again with 0% traffic, e.g. ${err.deploy}, then run this rollback again`;
    if (err instanceof PolicyRefusedError)
      return `the platform's policy refused the rollback to ${to}, whatever the version: fix what it names, then run this rollback again`;
    return `the platform refused the rollback to ${to} itself, so running it again unchanged gets the same answer: set ${input} to a version the platform has${listed}`;
  };
}

/**
 * A rollback goes to an earlier version. A candidate in flight that never served is none: a
 * rollback to it would serve an unanalysed version with no release on record. Its merge, or the
 * promote command (a ready release only), makes it serve with the release on record.
 * No way round its analysis is offered: once aborted, a version that never served is refused by
 * a rollback too (refuseNeverServed) wherever the ledger has history.
 */
function refuseCandidate(
  model: string,
  to: string,
  candidate: Release,
  how: { input: string; named: boolean; live: string },
): never {
  if (!inFlight(candidate)) refuseEndedCandidate(model, to, candidate, how);
  const ready = candidate.status === 'ready';
  const state = ready ? 'ready to merge' : 'still analysing';
  const pr = candidate.pr === undefined ? undefined : `PR #${candidate.pr}`;
  const merge = `merge ${pr ?? 'it'}`;
  const serve = ready
    ? `to make ${to} serve, ${merge} or use the promote command`
    : `to make ${to} serve, wait for its analysis to pass, then ${merge} or use the promote command`;
  const where = `the candidate in flight (${pr ? `${pr}, ` : ''}${state}; live traffic now: ${how.live})`;
  throw new InputError(
    how.named
      ? `rollback ${model}: ${how.input} ${to} is ${where}, not an earlier version; ${serve}`
      : `rollback ${model}: the previous stable, ${to}, is ${where}; ${serve}; or set ${how.input} to another version`,
  );
}

/**
 * A rollback to the candidate of a release whose withdrawal is pending, which never served: it
 * ended (failed its analysis, say) and is being taken out of service, no earlier version.
 */
function refuseEndedCandidate(
  model: string,
  to: string,
  candidate: Release,
  how: { input: string; named: boolean },
): never {
  const pr = candidate.pr === undefined ? '' : ` of PR #${candidate.pr}`;
  const ended = candidate.status === 'failed' ? 'failed its analysis' : `ended ${candidate.status}`;
  const where = `the candidate${pr}, which ${ended} and whose withdrawal is pending; it never served as stable`;
  const back = `set ${how.input} to ${candidate.from} to withdraw it only, or to an earlier version`;
  throw new InputError(
    how.named
      ? `rollback ${model}: ${how.input} ${to} is ${where}; ${back}`
      : `rollback ${model}: the previous stable, ${to}, is ${where}; ${back}`,
  );
}

/** Whether `version` gets all live traffic: it serves alone, on a canary at 100%, or on every instance. */
function takesAllTraffic(state: TrafficState, version: string): boolean {
  if (state.stable.version === version) return true;
  const live = liveCandidate(state);
  return live?.version === version && live.all;
}

/**
 * A rollback goes back to a version that served. With history on record, one the ledger never had
 * serve (nor replaced: the version serving when model-gate first recorded counts) is refused before
 * the platform is asked anything: a typo, or a version never analysed, which would take all live
 * traffic past every gate. With none on record, the ledger cannot tell, and the rollback goes ahead.
 * A ledger whose `history` is its newest entries only is asked about the older (servedEarlier).
 */
async function refuseNeverServed(
  model: string,
  named: string,
  history: LedgerEntry[],
  input: string,
  ports: Ports,
): Promise<void> {
  if (history.length === 0) return;
  // No near-miss hint: versions are near one another by nature (v2, v4), the list is the help.
  const served = [...new Set(history.flatMap((e) => [e.previous, e.version]).reverse())];
  if (served.includes(named)) return;
  const ledger = ledgerBeforeChange(ports);
  if (ledger.servedEarlier && (await beforeChange(ledger.servedEarlier(model, named)))) return;
  const listed = served.length > 10 ? `${served.slice(0, 10).join(', ')}, …` : served.join(', ');
  throw new InputError(
    `rollback ${model}: ${input} ${named} never served ${model} as far as the ledger knows; a rollback goes back to a version that served (newest first: ${listed}): set ${input} to one of them. To serve ${named}, open a PR that declares it, which releases it through the gates`,
  );
}

/** Whether `version` served as stable: it serves now, or the ledger has it serve or be replaced. */
const servedBefore = (version: string, history: LedgerEntry[], serving: string) =>
  version === serving || history.some((e) => e.version === version || e.previous === version);

/**
 * The default rollback target: the newest version that served before the one serving now and
 * that was not rolled back away from the last time it served. Two rollbacks in a row thus go
 * further back, never forth to the version the first one left. None: the user must name one.
 * Nor when the platform serves a version that served before the ledger's last (put back by hand,
 * as a rollback that landed unrecorded is taken: see unrecordedRollback) and the default goes
 * further back than the version on record: how far back to go is the operator's call then.
 */
export function previousStable(
  model: string,
  history: LedgerEntry[],
  serving: string,
  toVersionName = 'to-version',
): string {
  const { version, rolledAway, recorded, putBack } = stableBefore(history, serving);
  // Back to the version on record is no guess (one re-deployed by hand after a rollback from it).
  if (putBack && version !== recorded)
    throw new InputError(
      `rollback ${model}: set ${toVersionName}; ${serving} serves, but the ledger's last entry leaves ${recorded} serving (changed outside model-gate?): to go further back from a version put back by hand, name the version to serve`,
    );
  if (version !== undefined) return version;
  const why =
    rolledAway.length === 0
      ? ''
      : ` that was not rolled back (${rolledAway.join(', ')} ${rolledAway.length === 1 ? 'was' : 'were'})`;
  const outside =
    recorded !== undefined && recorded !== serving
      ? ` (the ledger's last entry leaves ${recorded} serving, not ${serving}: changed outside model-gate?)`
      : '';
  throw new InputError(
    `rollback ${model}: set ${toVersionName}; the ledger has no version before ${serving}${why}${outside}`,
  );
}

/**
 * previousStable's answer, without its errors: `version`, the default target from `serving` (none
 * found: `rolledAway`, the versions passed over); `recorded`, what the ledger's last entry leaves
 * serving; `putBack`, `serving` is not that but served before it.
 */
function stableBefore(
  history: LedgerEntry[],
  serving: string,
): { version?: string; rolledAway: string[]; recorded?: string; putBack: boolean } {
  // Serving periods, oldest first, each with how it ended (undefined: still serving, or unknown).
  const periods: { version: string; endedBy?: LedgerEntry['kind'] }[] = [];
  for (const e of history) {
    const last = periods.at(-1);
    if (last?.version === e.previous) last.endedBy = e.kind;
    else periods.push({ version: e.previous, endedBy: e.kind });
    periods.push({ version: e.version });
  }
  const lastEnd = new Map(periods.map((p) => [p.version, p.endedBy]));
  const recorded = periods.at(-1)?.version;
  // Only versions that served before `serving` last did: when the platform serves an older version
  // than the ledger's last, a newer one is no rollback, and may be the bad one.
  const current = periods.map((p) => p.version).lastIndexOf(serving);
  const putBack = current !== -1 && recorded !== serving;
  const before = current === -1 ? periods : periods.slice(0, current);
  const rolledAway: string[] = [];
  for (const { version } of [...before].reverse()) {
    if (version === serving || rolledAway.includes(version)) continue;
    if (lastEnd.get(version) !== 'rollback') return { version, rolledAway, recorded, putBack };
    rolledAway.push(version);
  }
  return { rolledAway, recorded, putBack };
}

/**
 * How long after a rollback by command one without `to-version` stays where it left the model,
 * rather than going one version further back: long enough for a second click on "Run workflow", or
 * a second on-call engineer answering the same alert (each dispatch run starts at once, in its own
 * concurrency group, and a runner may take minutes to pick it up); short enough that a deliberate
 * second rollback later (the version it went back to proves bad too) is not held up. Naming
 * `to-version` goes further back at any time.
 */
export const RECENT_ROLLBACK_MS = 10 * 60_000;

/**
 * The ledger's last entry, when it is a rollback by command less than RECENT_ROLLBACK_MS old
 * (`now`) that left `serving` serving, as the platform still has it.
 */
function recentRollback(history: LedgerEntry[], serving: string, now: number): LedgerEntry | undefined {
  const last = history.at(-1);
  if (last?.kind !== 'rollback' || last.version !== serving) return undefined;
  // A time ahead of this runner's clock (another runner's) counts as just now.
  return now - last.at < RECENT_ROLLBACK_MS ? last : undefined;
}

/**
 * What a rollback without `to-version` says when it stays after the recent rollback `last`;
 * `unchanged`: it had no candidate to withdraw either.
 */
function stayedAfter(last: LedgerEntry, now: number, toVersionName: string, unchanged: boolean): string {
  const ago = formatDuration(Math.max(0, Math.round((now - last.at) / 1000)) * 1000);
  const how = rolledBackHow(last);
  const stays = unchanged ? 'nothing changed' : `${last.version} stays`;
  return `${last.previous} was rolled back to ${last.version} ${how} ${ago} ago; ${stays}: a rollback without ${toVersionName} within ${formatDuration(RECENT_ROLLBACK_MS)} of another goes no further back (a second click, or a second engineer on the same incident); set ${toVersionName} to go further back`;
}

/**
 * A rollback that landed but is not on record: the platform serves `serving`, where the ledger's
 * last entry leaves another version (returned) serving, from which the default rollback goes to
 * `serving`. Its run stopped between its traffic change and its record (a lost runner), or someone
 * did by hand what it would have: a re-run with the same inputs (no to-version) records it and
 * changes no traffic, rather than going one version further back.
 */
function unrecordedRollback(history: LedgerEntry[], serving: string): string | undefined {
  const { recorded } = stableBefore(history, serving);
  if (recorded === undefined || recorded === serving) return undefined;
  return stableBefore(history, recorded).version === serving ? recorded : undefined;
}

/** The model a command acts on: the one named, or the config's only model; else an error listing them. */
export function pickModel(
  config: Config,
  name: string | undefined,
  command: string,
  modelName = 'the model input',
): ModelConfig {
  const names = Object.keys(config.models);
  if (!name) {
    if (names.length === 1) return config.models[names[0] as string] as ModelConfig;
    throw new InputError(`command ${command}: set ${modelName} to one of ${names.join(', ')}`);
  }
  return modelNamed(config, name);
}

/**
 * The model the `model` input names; an unknown name is an error naming the known ones, and the
 * near miss among them, as `run release --model` does (checkModelName).
 */
export function modelNamed(config: Config, name: string): ModelConfig {
  const model = Object.hasOwn(config.models, name) ? config.models[name] : undefined;
  if (!model) {
    const names = Object.keys(config.models);
    const hint = didYouMean(name, names);
    throw new ConfigError([
      `model ${quote(name)} is not in the config${hint ? ` (did you mean "${hint}"?)` : ''}; known models: ${names.join(', ')}`,
    ]);
  }
  return model;
}
