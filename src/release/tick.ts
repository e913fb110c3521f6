import { formatDuration, formatElapsed } from '../config/duration.js';
import { TargetError } from '../core/errors.js';
import { sameTraffic } from '../core/traffic.js';
import { isLiveGate, lookAtGate } from '../gates/live-gates.js';
import { toleratedText, usableLook } from '../gates/threshold-gate.js';
import { EndedElsewhereError } from '../ledger/ledger.js';
import { utcMinute } from '../report/format.js';
import type { ObservationLine } from '../stats/observation.js';
import { liveTrafficText, type Phase, phasesOf, strategyOf } from '../strategies/strategy.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import { platformNameOf } from '../targets/target.js';
import { withdrawingTarget } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { judgedWithoutRegression, passesAtDeadline } from './deadline-pass.js';
import { defectOf, reportIt, stoppedOn } from './defects.js';
import { hasLiveTraffic, rollbackNotTaken } from './finish.js';
import { atFullTraffic, carriedLook, carriesPass, isSideBySide } from './full-traffic.js';
import {
  unansweredAtDeadline,
  unansweredAtDeadlineText,
  unansweredAtHold,
  unansweredText,
} from './hold-answered.js';
import { holdText } from './hold-text.js';
import { metricsPreflight } from './metrics-preflight.js';
import { watchRefusals } from './metrics-refusals.js';
import { idleChanges, readyReasonOf } from './pending-idle.js';
import { recordingSwitch } from './pending-switch.js';
import { readToCheck, type UnreadCheck, unreadLook } from './phase-check-read.js';
import {
  failedAnalysisAdvice,
  mergedReadyReason,
  OFF_RECORD_END,
  offRecordNote,
  platformFailure,
  splitMismatchEnding,
  undecidedNote,
} from './phase-notes.js';
import {
  cappedReason,
  NO_DATA_GRACE_MS,
  noConversionData,
  noDataReason,
  noWinnerReason,
  reachedPlannedSize,
  waitingText,
} from './planned-sample.js';
import { reconcileWithConfig } from './reconcile-config.js';
import { refusedFirstChange } from './refused-first-change.js';
import { servedAlready, switchedAt, switchLeftNothing } from './resumed-switch.js';
import { withLook } from './series.js';
import { runSmoke, smokeUrl } from './smoke.js';
import type { Ending, GateState, Measurement, PhaseRecord, Release } from './types.js';

/**
 * A tick's context. `record` saves a decision that ends the analysis (a rollback, a pass) before
 * the traffic change that carries it out, as every end by command is recorded (endThenWithdraw):
 * a run whose record GitHub refuses changes no traffic, and the next run judges again; one that
 * stops after it leaves a record the next run acts on. Without it (the engine's own tests), the
 * caller saves the returned state only.
 */
export interface TickContext extends ReleaseContext {
  record?(decided: Release): Promise<void>;
  /**
   * `tick`: this run looks once (a schedule tick, often an hour after the last), so a query error
   * on its look past a deadline is the step's only look there: the next tick looks again
   * (unansweredAtDeadline). Otherwise (a watching run, the engine's own tests) the deadline decides.
   */
  mode?: 'watch' | 'tick';
  /** Where the run keeps the release's observation log: each judged look's line (Ports.observe). */
  observe?: (line: ObservationLine) => void;
}

/**
 * One reconcile step of an analysing release: deploy the candidate if it is not yet (once its
 * metric source answered: metrics-preflight.ts), measure every live gate over the current phase,
 * then roll back, advance, finish or wait.
 * Returns the next state; the caller saves it. Never leaves candidate traffic behind on a failure.
 */
export async function tick(release: Release, given: TickContext): Promise<Release> {
  if (release.status !== 'analysing') return release;
  const switching = recordingSwitch(given, release);
  let ctx = switching.ctx;
  // A switch into its phase an earlier run recorded before making it, unconfirmed (passPhase): that
  // run may have stopped before the change or after it. No state this run returns keeps the mark.
  const { switchPending, ...unmarked } = release;
  let current: Release = unmarked;
  try {
    // The config this run read governs it, not the one the release started under (a schedule tick
    // reads the default branch's, never a PR head's): the stored gates and phase follow it.
    const reconciled = reconcileWithConfig(unmarked, ctx.config, ctx.clock.now());
    // A raised A/B split waits for the next release: this look goes on at the running split.
    if (reconciled.config) ctx = { ...ctx, config: reconciled.config };
    // Entering a phase from the record as an earlier run left it: that run may have made the switch.
    const resumed = { recordedAt: release.updatedAt };
    if (reconciled.enter !== undefined)
      return await enterPhase(reconciled.release, reconciled.enter, ctx, resumed);
    if (reconciled.passedAll) return await passedAll(reconciled.release, ctx);
    if (switchPending) return await switchAgain(reconciled.release, ctx, resumed);
    current = reconciled.release;
    if (reconciled.carryOn !== undefined) {
      // Not carried on where the platform could not be read: the record stays as stored, its
      // running phase under its stored name, for the next look to carry it on.
      const unread = await carryOn(unmarked, reconciled.carryOn, ctx);
      if (unread) return unreadLook(unmarked, unread, ctx.clock.now());
    }
    if (current.phase < 0) {
      // Before the first traffic change: a metric source that cannot answer would leave the
      // candidate's traffic unwatched until its gates ran out of errors (metrics-preflight.ts).
      const unread = await metricsPreflight(current, ctx);
      return unread ?? (await enterPhase(current, 0, ctx, resumed));
    }
    return await judgePhase(current, ctx);
  } catch (err) {
    if (!(err instanceof TargetError)) {
      await switching.takeBack(err);
      throw err;
    }
    return rollBack(current, ctx, platformFailure(err, current.headSha), { platformFailed: true });
  }
}

async function judgePhase(recorded: Release, ctx: TickContext): Promise<Release> {
  const now = ctx.clock.now();
  const { strategy } = ctx.config;
  const phase = phasesOf(strategy)[recorded.phase];
  // A smoke test and a shadow run give the candidate no live traffic: found serving callers, it is
  // taken back to the phase's traffic before the phase runs again.
  const checked =
    phase && (phase.smoke || phase.candidateSlot === 'shadow')
      ? await takenBackToPhase(recorded, phase, ctx)
      : recorded;
  // Not known to serve no callers: this look judges nothing (phase-check-read.ts).
  if ('unread' in checked) {
    const toCheck = `to check ${recorded.to} still has no live traffic`;
    return unreadLook(recorded, { phase: phase?.name ?? '', toCheck, unread: checked.unread }, now);
  }
  const release = checked;
  if (release.status !== 'analysing') return release;
  if (phase?.smoke) {
    const smoke = await runSmoke(phase.smoke, smokeUrl(ctx.config, phase.smoke, release.to));
    const smoked = { ...release, updatedAt: now };
    // A failed smoke test's note is the reason, which names it already (rollBack keeps the rest).
    return smoke.passed
      ? passPhase({ ...smoked, phases: noteLast(release.phases, smoke.note) }, ctx)
      : rollBack(smoked, ctx, `${phase.name} failed: ${smoke.note}`, { smokeFailed: { note: smoke.note } });
  }
  const gates: GateState[] = [];
  const looked = new Set<string>();
  const refusals = watchRefusals(ctx.metrics, ctx.clock);
  const elapsed = now - release.phaseStartedAt;
  const deadline = Math.max(strategy.stepDurationMs, phase?.holdMs ?? 0);
  // A look the step's deadline judges is written once it has, its line saying so (settle).
  const lines = deadlineLines(ctx.observe, elapsed >= deadline);
  for (const state of release.gates) {
    const gate = ctx.config.gates.find((g) => g.name === state.name);
    if (!gate || !isLiveGate(gate) || state.verdict === 'fail' || keepsPass(state)) {
      gates.push(state);
      continue;
    }
    if (atFullTraffic(phase) && isSideBySide(gate)) {
      // No stable traffic beside the candidate: a pass in the phase before stands (enterPhase
      // carried it, reconcile-config.ts kept it through a new definition); without one the gate
      // cannot judge, and its deadline decides as for no data.
      gates.push(state.verdict === 'pass' ? state : unjudgeable(state, now));
      continue;
    }
    const seen = await lookAtGate(gate, state, {
      metrics: refusals.metrics,
      model: release.model,
      stable: release.from,
      candidate: release.to,
      nameOf: (version) => platformNameOf(ctx.target, version),
      weight: phase?.weight,
      candidateSlot: phase?.candidateSlot,
      since: release.phaseStartedAt,
      switchedAt: switchedAt(release, phase),
      earlierLive: release.earlierLive,
      now,
      minRequests: strategy.minRequests,
      ...(phase ? { step: phase.name } : {}),
      ...(lines.observe ? { observe: lines.observe } : {}),
    });
    const next = refusals.judge(seen, ctx.config.metrics.type, release.to);
    const look = next.last === state.last ? undefined : next.last;
    looked.add(state.name);
    gates.push(withLook(rememberBeyond(next, look), look, release.startedAt));
  }
  const judged: Release = { ...withoutHoldEnd(release), gates, updatedAt: now };

  const failed = failureReason(gates);
  // A sample ratio mismatch is marked: the analysis is invalid, no verdict on the candidate.
  if (failed) {
    lines.write();
    return rollBack(judged, ctx, failed, splitMismatchEnding(gates, ctx.config.gates));
  }

  const live = gates.filter((g) => g.kind !== 'offline');
  // A bake or a shadow run lasts its whole hold even when the gates pass sooner.
  const held = elapsed >= (phase?.holdMs ?? 0);
  const hold = { since: release.phaseStartedAt, ms: phase?.holdMs, held, intervalMs: strategy.intervalMs };
  const unanswered = unansweredAtHold(live, looked, hold);
  const pending = live.filter((g) => g.verdict !== 'pass' || unanswered.includes(g));
  if (pending.length === 0 && held) {
    lines.write();
    return passPhase(judged, ctx);
  }

  // A pass the hold's end did not see again is no evidence for it: judged as a gate without data.
  const looks = new Map(
    pending.map((g) => [g, unanswered.includes(g) ? undefined : usableLook(g, release.phaseStartedAt)]),
  );
  // An A/B ends at its planned sample, before its step-duration (a cap) when it gets there sooner.
  const ab = strategy.type === 'ab' && live.some((g) => g.kind === 'conversion');
  const noWinner = (late?: string) =>
    rollBack(
      judged,
      ctx,
      noWinnerReason(phase?.name ?? 'the A/B', conversionsOf(pending), looks, ctx.config.gates, late),
    );
  if (elapsed >= deadline) {
    // Judged past its cap (schedules paused, an hourly tick after both) with its planned sample
    // reached: it ended there undecided, and a longer step-duration would not have helped.
    if (ab && planEnd(pending, looks) === 'no winner') {
      lines.write(pending);
      return noWinner(lateText(elapsed, deadline, ctx));
    }
    const late = lateText(elapsed, deadline, ctx)
      ? `first judged after ${formatElapsed(elapsed)}`
      : undefined;
    const when = withinText(elapsed, deadline, ctx);
    return settle(judged, pending, looks, when, ctx, { capMs: deadline, late, write: lines.write });
  }
  // Under ticks, conversion gates past the grace for first counts whose source did not answer on
  // this tick's look: the next tick looks again.
  let unansweredGrace: GateState[] = [];
  if (ab) {
    const noData =
      elapsed >= NO_DATA_GRACE_MS ? conversionsOf(pending).filter((g) => noConversionData(g, judged)) : [];
    const grace = {
      since: release.phaseStartedAt,
      due: release.phaseStartedAt + NO_DATA_GRACE_MS,
      intervalMs: strategy.intervalMs,
    };
    unansweredGrace = ctx.mode === 'tick' ? noData.filter((g) => unansweredAtDeadline(g, grace)) : [];
    const silent = noData.filter((g) => !unansweredGrace.includes(g));
    // Must-have-data, as at a deadline: a conversion gate must decide, and without data it cannot.
    if (silent.length > 0)
      return rollBack(judged, ctx, noDataReason(phase?.name ?? 'the A/B', silent, ctx.config.gates));
    const end = planEnd(pending, looks);
    if (end === 'no winner') return noWinner();
    if (end === 'decided') {
      const decided = live.filter((g) => g.kind === 'conversion').map((g) => g.name);
      return settle(
        judged,
        pending,
        looks,
        `once ${decided.join(', ')} decided (after ${formatElapsed(elapsed)})`,
        ctx,
      );
    }
  }
  if (pending.length === 0) {
    // Its gates passed, it waits for its hold's end: each report says the time left at its own time
    // (a comment re-rendered an hour on must not say the minutes left at this tick).
    const holdEndsAt = release.phaseStartedAt + (phase?.holdMs ?? 0);
    return { ...judged, holdEndsAt, reason: `analysing ${phase?.name}${holdEndWords(holdEndsAt)}` };
  }
  // A gate unanswered mid-hold: when the hold ends is said as a time (holdText), which stays true
  // in a report made later, not as the time left at this tick (no hold given to unansweredText).
  const unansweredMidHold = !held && unanswered.length > 0;
  const waitingFor = pending
    .map((g) =>
      unanswered.includes(g)
        ? unansweredText(g, 0, elapsed)
        : unansweredGrace.includes(g)
          ? unansweredAtDeadlineText(
              g,
              `past the ${formatDuration(NO_DATA_GRACE_MS)} allowed for first counts`,
              errorLimitOf(g, ctx),
            )
          : ab
            ? waitingText(
                g,
                looks.get(g),
                { since: release.phaseStartedAt, capMs: deadline },
                ctx.config.gates,
              )
            : g.name,
    )
    .join(', ');
  const holds = holdText(phase, unansweredMidHold ? 0 : strategy.stepDurationMs, release.phaseStartedAt, now);
  return {
    ...judged,
    reason: `analysing ${phase?.name}: waiting for ${waitingFor}${holds ? `; ${holds}` : ''}`,
  };
}

/**
 * How the reason of a release waiting for its hold's end alone (its gates passed) ends, the end
 * `holdEndsAt` on its record: a time that stays true, where a time left would not (a report says
 * that at its own time, decision.ts).
 */
export const holdEndWords = (holdEndsAt: number) =>
  `: waiting for the end of the hold at ${utcMinute(holdEndsAt)}`;

/** The release without the hold's end its last reason waited for: each tick words its own wait. */
function withoutHoldEnd({ holdEndsAt: _, ...release }: Release): Release {
  return release;
}

/**
 * A phase without live traffic (a smoke test on green, a shadow run) does not take its record's word
 * for it: a run lost after its switch to the next phase (green at 100%, the record still at the smoke
 * test), or a change by hand, leaves the candidate serving callers unjudged. Found so, it is taken back to the
 * phase's traffic before the phase runs again, and the history gets a row for the traffic found, at
 * its share (the report must not say it never served callers), between the phase's row closed and a
 * new one. Saved with the step's outcome, not recorded first: the release goes on analysing, and a
 * run driving it takes a record changed since its read for another run's (watch.ts checkNotEnded).
 */
async function takenBackToPhase(
  release: Release,
  phase: Phase,
  ctx: TickContext,
): Promise<Release | { unread: TargetError }> {
  const { from, to } = release;
  const read = await readToCheck(release, ctx);
  if ('unread' in read) return read;
  const { serving } = read;
  const weight =
    serving.stable.version === to ? 100 : serving.canary?.version === to ? serving.canary.weight : 0;
  // A shadow's mirror is its own traffic, no live traffic: only a live share is off record there.
  const shadow = phase.candidateSlot === 'shadow';
  if (shadow ? weight === 0 : !hasLiveTraffic(serving, to)) return release;
  const now = ctx.clock.now();
  // Named for the configured phase whose traffic it is, where one is (bake on green).
  const named = phasesOf(ctx.config.strategy).find((p) => sameTraffic(p.traffic(from, to), serving));
  const found: PhaseRecord = {
    name: named?.name ?? phase.name,
    weight,
    startedAt: now,
    endedAt: now,
    outcome: 'withdrawn',
    note: offRecordNote(to, liveTrafficText(weight), backText(phase, from, to), phase.name),
  };
  const again: PhaseRecord = { name: phase.name, weight: phase.weight, startedAt: now };
  const closed = closeLast(release.phases, now, 'withdrawn', OFF_RECORD_END);
  const noted: Release = {
    ...release,
    phaseStartedAt: now,
    updatedAt: now,
    phases: [...closed, found, again],
    // The shadow runs again from now, its gates' looks too, as its hold does.
    ...(shadow ? { gates: release.gates.map(freshForPhase) } : {}),
  };
  try {
    await reconcile(ctx.target, phase.traffic(from, to));
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return rollBack(noted, ctx, platformFailure(err, noted.headSha), { platformFailed: true });
  }
  return noted;
}

/** The phase's own traffic, named for a note: a shadow's mirror, else its live share. */
function backText(phase: Phase, from: string, to: string): string {
  const mirror = phase.traffic(from, to).mirror;
  return mirror
    ? `a mirror of ${mirror.share}% of requests and no live traffic`
    : liveTrafficText(phase.weight);
}

type Looks = Map<GateState, Measurement | undefined>;

/**
 * A look beyond the histogram's largest bucket is remembered for the step's deadline (a scrape gap
 * on the look after it must not turn it into missing data); a later look that placed the value (a
 * pass or a fail) supersedes it. Errors, no data and waiting leave it.
 */
function rememberBeyond(g: GateState, look: Measurement | undefined): GateState {
  if (look?.beyondBuckets) return { ...g, lastBeyondBuckets: look };
  if (look?.verdict !== 'pass' && look?.verdict !== 'fail') return g;
  const { lastBeyondBuckets: _, ...rest } = g;
  return rest;
}

/** The phase's latest look beyond the buckets, where the look the deadline judges is not one itself. */
const earlierBeyond = (g: GateState, look: Measurement | undefined, since: number) =>
  look?.beyondBuckets || !g.lastBeyondBuckets || g.lastBeyondBuckets.at <= since
    ? undefined
    : g.lastBeyondBuckets;

/**
 * A step's deadline as settle judges it: `capMs` its length, `late` how long a phase first judged
 * past it ran, `write` the looks of this tick to the observation log, those of the gates it decided
 * marked `deadline` (deadlineLines).
 */
interface StepDeadline {
  capMs?: number;
  late?: string;
  write?: (decided?: GateState[]) => void;
}

/**
 * This tick's observation lines, at its step's deadline, held until it is judged (ctx.observe, when
 * it has a log; before the deadline each line is written as its look is taken): `write` appends them, the line of each gate in `decided` marked `"deadline": true`, so
 * that `model-gate analyze` folds that look as the deadline did (docs/observations.md). Written
 * once: a second `write` has nothing left.
 */
function deadlineLines(observe: TickContext['observe'], atDeadline: boolean) {
  const held: ObservationLine[] = [];
  return {
    observe: atDeadline ? observe && ((line: ObservationLine) => void held.push(line)) : observe,
    write: (decided: GateState[] = []) => {
      const names = new Set(decided.map((g) => g.name));
      for (const line of held.splice(0)) observe?.(names.has(line.gate) ? { ...line, deadline: true } : line);
    },
  };
}

/**
 * The end of a phase with gates still pending (`when`: `within 10m`). A statistical judge that saw
 * the data and found no regression passes, as a fixed-horizon test that did not reject would; so
 * does a gate whose last look failed within its failure-limit (toleratedAtDeadline); missing data
 * never does. A tolerated query error on the last look does not hide what the look before it saw;
 * under ticks, one with no answered look near the deadline (`capMs`) waits for the next tick's
 * look (unansweredAtDeadline). `late`: how long an A/B first judged well past its cap ran
 * (`first judged after 62d`), which its reason says.
 */
function settle(
  judged: Release,
  pending: GateState[],
  looks: Looks,
  when: string,
  ctx: TickContext,
  { capMs, late, write }: StepDeadline = {},
) {
  const phase = phasesOf(ctx.config.strategy)[judged.phase];
  const unjudged = pending.filter((g) => !passesAtDeadline(g, looks.get(g)));
  if (unjudged.length === 0) {
    write?.(pending);
    const note = deadlineNote(pending, when, ctx);
    const passed = judged.gates.map((g) => (pending.includes(g) ? passedOn(g, looks.get(g)) : g));
    return passPhase({ ...judged, gates: passed, phases: noteLast(judged.phases, note) }, ctx);
  }
  const since = judged.phaseStartedAt;
  const said = (g: GateState) => {
    const look = looks.get(g) ?? g.last;
    const beyond = earlierBeyond(g, look, since);
    const last = look?.note ?? 'no measurement';
    return beyond ? `an earlier look: ${beyond.note}; the last look: ${last}` : last;
  };
  const why = unjudged.map((g) => `${g.name} (${said(g)})`).join(', ');
  // must-have-data: false excuses missing data, not a gate that must decide: an A/B promotes only
  // a shown winner (or non-inferior one), a webhook answering "waiting" (an approval not given) has
  // not said pass, and a quantile beyond the histogram's buckets is data above what it can place
  // against the limit (a 5 s p95 over buckets up to 1 s), not data missing.
  const mustDecide = unjudged.some((g) => {
    const look = looks.get(g) ?? g.last;
    return (
      g.kind === 'conversion' ||
      (g.kind === 'webhook' && look?.verdict === 'waiting') ||
      look?.beyondBuckets === true ||
      earlierBeyond(g, look, since) !== undefined
    );
  });
  if (ctx.config.mustHaveData || mustDecide) {
    const unanswered = (g: GateState, capMs: number) =>
      unansweredAtDeadline(g, { since, due: since + capMs, intervalMs: ctx.config.strategy.intervalMs });
    if (ctx.mode === 'tick' && capMs !== undefined && unjudged.every((g) => unanswered(g, capMs))) {
      const at = `past its ${formatDuration(capMs)} deadline`;
      const waiting = unjudged.map((g) => unansweredAtDeadlineText(g, at, errorLimitOf(g, ctx)));
      write?.();
      return { ...judged, reason: `analysing ${phase?.name}: waiting for ${waiting.join(', ')}` };
    }
    const capped =
      capMs === undefined || ctx.config.strategy.type !== 'ab'
        ? undefined
        : cappedReason(phase?.name ?? 'the A/B', capMs, unjudged, looks, ctx.config.gates, said, late);
    write?.(pending);
    return rollBack(judged, ctx, capped ?? `no conclusive evidence ${when} at ${phase?.name}: ${why}`);
  }
  // Passed without the unjudged gates (must-have-data: false), whose looks stay undecided in the log.
  write?.(pending.filter((g) => !unjudged.includes(g)));
  // The phase's record keeps saying what it passed without, after later phases and at the end.
  return passPhase(
    { ...judged, phases: noteLast(judged.phases, undecidedNote(why), { undecided: true }) },
    ctx,
  );
}

const conversionsOf = (gates: GateState[]) => gates.filter((g) => g.kind === 'conversion');

const errorLimitOf = (g: GateState, ctx: TickContext) => {
  const gate = ctx.config.gates.find((c) => c.name === g.name);
  return gate && 'consecutiveErrorLimit' in gate ? gate.consecutiveErrorLimit : undefined;
};

/**
 * `within 10m`; `within 1h (deadline 10m)` for a phase first judged well after its deadline (a
 * schedule tick's look an hour apart): its looks covered all of it.
 */
function withinText(elapsed: number, deadline: number, ctx: TickContext): string {
  return lateText(elapsed, deadline, ctx) ?? `within ${formatDuration(deadline)}`;
}

/** `within 62d1h (deadline 14d)` for a phase first judged well after its deadline; else undefined. */
function lateText(elapsed: number, deadline: number, ctx: TickContext): string | undefined {
  const late = elapsed - deadline > ctx.config.strategy.intervalMs;
  return late ? `within ${formatElapsed(elapsed)} (deadline ${formatDuration(deadline)})` : undefined;
}

/**
 * Why the judged look fails the release. A sample ratio mismatch invalidates what the other gates
 * saw on the same look: it is the reason. Otherwise every gate that failed on its data, in config
 * order (a shadow at 56% errors also fails on agreement: the errors say why); a failure for errors
 * or refused reads is said alone, as the other gates' would say it again.
 */
function failureReason(gates: GateState[]): string | undefined {
  const reasonOf = (g: GateState) => g.reason ?? `${g.name} failed`;
  const mismatch = gates.find((g) => g.verdict === 'fail' && g.kind === 'srm');
  if (mismatch) return reasonOf(mismatch);
  const failed = gates.filter((g) => g.verdict === 'fail');
  const first = failed[0];
  if (!first) return undefined;
  if (failed.every((g) => g.last?.verdict === 'fail')) return failed.map(reasonOf).join('; ');
  return reasonOf(first);
}

/**
 * A gate that passed in this phase and keeps its pass, not asked again while another gate holds
 * the phase open. A conversion gate: its always-valid test may stop at the first crossing, and
 * looking on could only turn a shown winner back into `pending` and then into `no winner` at the
 * planned size. A webhook: its contract says a pass stands for the phase (an approval given is not
 * taken back by a sign-off that lapses). The guards are still looked at: their job is to catch
 * harm for as long as the candidate has traffic.
 */
const keepsPass = (g: GateState) => (g.kind === 'conversion' || g.kind === 'webhook') && g.verdict === 'pass';

/**
 * Where an A/B stands before its cap. `no winner`: every undecided conversion gate reached its
 * planned sample, where its test had the design's power to decide. `decided`: every conversion
 * gate passed and every other pending gate is a guard that saw the data without finding a
 * regression: they end with the conversion gates (settled as at a deadline). Otherwise `running`:
 * a split check not yet verified (a metric gate's pass counts only once the split is), a gate
 * without judgeable data on its last look (one empty look must not roll back a winner), or a
 * webhook's answer, each until it passes, fails or the cap.
 */
function planEnd(pending: GateState[], looks: Looks): 'running' | 'no winner' | 'decided' {
  const conversions = conversionsOf(pending);
  if (conversions.length > 0)
    return conversions.every((g) => reachedPlannedSize(looks.get(g))) ? 'no winner' : 'running';
  const settles = pending.every((g) => g.kind !== 'srm' && judgedWithoutRegression(g, looks.get(g)));
  return settles ? 'decided' : 'running';
}

/**
 * What the pending gates passed on at the deadline (`when`). A gate with failed looks in the phase
 * says it passed within its failure-limit: "no regression detected" would deny what it saw.
 */
function deadlineNote(pending: GateState[], when: string, ctx: TickContext): string {
  const clean = pending.filter((g) => g.failures === 0).map((g) => g.name);
  const parts = clean.length > 0 ? [`no regression detected by ${clean.join(', ')} ${when}`] : [];
  for (const g of pending.filter((p) => p.failures > 0)) {
    const gate = ctx.config.gates.find((c) => c.name === g.name);
    const limit = gate && 'failureLimit' in gate ? gate.failureLimit : g.failures;
    parts.push(`${g.name} passed ${when}: ${toleratedText(g, limit)}`);
  }
  return parts.join('; ');
}

/**
 * Passed at the deadline on `look`, which the report then shows (not the error after it). A look
 * failed within failure-limit stays as it was: the row shows the value the phase ended on, beside
 * the tolerated looks (report/rows.ts), not an earlier pass that would hide it.
 */
function passedOn(g: GateState, look: Measurement | undefined): GateState {
  const { lastUsable: _, lastBeyondBuckets: __, ...rest } = g;
  return { ...rest, verdict: 'pass', ...(look ? { last: look } : {}) };
}

function noteLast(phases: PhaseRecord[], note: string, mark: Partial<PhaseRecord> = {}): PhaseRecord[] {
  const last = phases.at(-1);
  // A note the config change left on the running phase (reconcile-config.ts) stays, after this one.
  const joined = last?.note ? `${note}; ${last.note}` : note;
  return last ? [...phases.slice(0, -1), { ...last, note: joined, ...mark }] : phases;
}

/**
 * The running phase passed: on to the next one, or every phase passed. The switch to the next is
 * recorded first, as the phase before passed and the next entered, with the change pending
 * (`switchPending`), as a pass's change to idle is (passedAll): a run that stops after the change
 * and before its save leaves a record the next run enters the phase from (switchAgain), noting the
 * traffic it finds there already, instead of judging the phase before again on the next one's data.
 * Should the record fail, the candidate keeps the phase's traffic and the next run judges it again.
 */
async function passPhase(release: Release, ctx: TickContext): Promise<Release> {
  const now = ctx.clock.now();
  const passed = { ...release, phases: closeLast(release.phases, now, 'passed') };
  const index = release.phase + 1;
  const next = phasesOf(ctx.config.strategy)[index];
  if (!next) return passedAll(passed, ctx);
  const entering = { name: next.name, weight: next.weight, startedAt: now };
  // Its reason as once confirmed, true before and after the change: a commit status posted with
  // the record is not posted again for the confirmation.
  await ctx.record?.({ ...inPhase(passed, index, next, now, entering), switchPending: true });
  return enterPhase(passed, index, ctx);
}

/**
 * `release`'s switch into its phase recorded pending by a run that stopped before confirming it:
 * entered again from the record (saved at `resumed.recordedAt`), as the phase before passed it, so
 * that a platform found serving the phase already gets its record started then, saying so
 * (servedAlready), and one found without it gets the switch now. What a config change since said of
 * the phase (reconcile-config.ts) stays on its record.
 */
async function switchAgain(
  release: Release,
  ctx: TickContext,
  resumed: { recordedAt: number },
): Promise<Release> {
  const said = release.phases.at(-1)?.note;
  const before = { ...release, phase: release.phase - 1, phases: release.phases.slice(0, -1) };
  const entered = await enterPhase(before, release.phase, ctx, resumed);
  const last = entered.phases.at(-1);
  if (!said || !last || entered.status !== 'analysing') return entered;
  const note = last.note ? `${last.note}; ${said}` : said;
  return { ...entered, phases: [...entered.phases.slice(0, -1), { ...last, note }] };
}

/**
 * Every phase passed: keep the candidate deployed but give it no live traffic until the PR merges.
 * The pass is recorded first: should the record fail, the candidate keeps its phase's traffic and
 * the next run passes it again; with the change first, the next run would find an analysing
 * release without its traffic and end it as withdrawn by hand. Recorded with the change pending
 * (`idlePending`): should this run stop after the record, the next run makes the change
 * (pending-idle.ts), and the record does not claim the candidate serves as idle meanwhile.
 */
async function passedAll(release: Release, ctx: TickContext): Promise<Release> {
  const strategy = strategyOf(ctx.config.strategy);
  if (release.mergedAt !== undefined && idleChanges(strategy, release)) return mergedReady(release, ctx);
  const ready: Release = {
    ...release,
    status: 'ready',
    updatedAt: ctx.clock.now(),
    reason: readyReasonOf(release, strategy, false),
  };
  if (ctx.record && idleChanges(strategy, release))
    await ctx.record({ ...ready, idlePending: true, reason: readyReasonOf(release, strategy, true) });
  else await ctx.record?.(ready);
  try {
    await reconcile(ctx.target, strategy.idle(release.from, release.to));
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    // Its phases passed, as the history keeps saying: the change after them failed.
    return rollBack(release, ctx, platformFailure(err, release.headSha), { platformFailed: true });
  }
  return ready;
}

/**
 * Passed after its PR merged (on-merge: analyze-then-promote): promoted next, by the run that made it
 * ready (the merge job, a schedule tick: merged-ready.ts promoteMergedReady), or by a later tick
 * should that run be lost (promotionDue). It keeps its last phase's traffic meanwhile: idle first
 * would switch every caller off it and back (a blue-green's green, minutes each on some platforms).
 */
async function mergedReady(release: Release, ctx: TickContext): Promise<Release> {
  const phase = phasesOf(ctx.config.strategy)[release.phase];
  const share = phase && phase.weight > 0 ? ` (${liveTrafficText(phase.weight)})` : '';
  const keeps = phase ? `the traffic of ${phase.name}${share}` : "its last phase's traffic";
  const count = phasesOf(ctx.config.strategy).length;
  const ready: Release = {
    ...release,
    status: 'ready',
    updatedAt: ctx.clock.now(),
    reason: mergedReadyReason(release.to, release.phases, count, keeps),
  };
  await ctx.record?.(ready);
  return ready;
}

/**
 * `resumed`: entered from the record an earlier run saved at `recordedAt` (not on a pass this run
 * judged), when that run may have made the switch and stopped before recording it.
 */
async function enterPhase(
  release: Release,
  index: number,
  ctx: TickContext,
  resumed?: { recordedAt: number },
): Promise<Release> {
  const phase = phasesOf(ctx.config.strategy)[index];
  if (!phase) throw new Error(`no phase ${index}`);
  const servedSince = resumed && (await servedAlready(release, phase, resumed.recordedAt, ctx));
  try {
    await reconcile(ctx.target, phase.traffic(release.from, release.to));
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    // The switch may have half taken (green at 100%, then a time-out): the history shows the phase
    // it went to as failed at its start, not the phase before (which passed) as failed.
    const now = ctx.clock.now();
    const mirror = phase.traffic(release.from, release.to).mirror;
    const to = mirror ? `a mirror of ${mirror.share}% of requests` : liveTrafficText(phase.weight);
    // Refused outright before any traffic (an unknown version, a read-only token): not deployed.
    const refused = await refusedFirstChange(release, phase.name, `the switch to ${to}`, err, ctx);
    if (refused) return refused;
    const note = `the switch to ${to} failed: ${failedAnalysisAdvice(err, release.headSha)}`;
    const unchanged = await switchLeftNothing(release, ctx);
    const failed: PhaseRecord = {
      name: phase.name,
      weight: phase.weight,
      startedAt: now,
      endedAt: now,
      outcome: 'failed',
      note,
      ...(unchanged ? { switchFailed: true as const } : {}),
    };
    const switched = {
      ...release,
      phase: index,
      phaseStartedAt: now,
      phases: [...release.phases, failed],
      gates: gatesFor(release, phase, now),
    };
    return rollBack(switched, ctx, platformFailure(err, switched.headSha), { platformFailed: true });
  }
  const now = ctx.clock.now();
  // Its looks and hold count from now, when this run knows the traffic is there; the record starts
  // at the earliest the switch may have been, which a baseline before it must not overlap.
  const record: PhaseRecord =
    servedSince === undefined
      ? { name: phase.name, weight: phase.weight, startedAt: now }
      : {
          name: phase.name,
          weight: phase.weight,
          startedAt: servedSince,
          note: `${release.to} already had this traffic when this run came to it (the run that switched it stopped before recording that): its gates and hold count from ${utcMinute(now)}`,
        };
  return inPhase(release, index, phase, now, record);
}

/** `release` in phase `index` from `now` (its looks and hold), its history ending with `record`. */
function inPhase(release: Release, index: number, phase: Phase, now: number, record: PhaseRecord): Release {
  return {
    ...release,
    phase: index,
    phaseStartedAt: now,
    updatedAt: now,
    phases: [...release.phases, record],
    gates: gatesFor(release, phase, now),
    reason: `analysing ${phase.name} (${liveTrafficText(phase.weight)})`,
  };
}

/** The gates as phase `phase` starts with them at `now`: afresh, or an earlier pass carried to 100%. */
const gatesFor = (release: Release, phase: Phase, now: number) =>
  release.gates.map((g) => (carriesPass(g, phase) ? carriedPass(g, now) : freshForPhase(g)));

/**
 * The running phase goes on as a configured phase of the same traffic share and kind, under another
 * name: its traffic is set only where it differs (a shadow's share, a rolling update's instances).
 * Returned where the platform could not be read to tell, for a failure that may pass: nothing is set.
 */
async function carryOn(
  release: Release,
  index: number,
  ctx: ReleaseContext,
): Promise<UnreadCheck | undefined> {
  const phase = phasesOf(ctx.config.strategy)[index];
  if (!phase) throw new Error(`no phase ${index}`);
  const desired = phase.traffic(release.from, release.to);
  const read = await readToCheck(release, ctx);
  const running = release.phases.at(-1)?.name ?? phase.name;
  if ('unread' in read)
    return { phase: running, toCheck: `to carry it on as ${phase.name}`, unread: read.unread };
  if (!sameTraffic(read.serving, desired)) await reconcile(ctx.target, desired);
  return undefined;
}

function carriedPass(g: GateState, now: number): GateState {
  return { ...freshForPhase(g), verdict: 'pass', last: carriedLook(now) };
}

/** A side-by-side gate at 100% of live traffic that no earlier phase passed: it has nothing to judge. */
const unjudgeable = (g: GateState, now: number): GateState => ({
  ...g,
  last: {
    at: now,
    verdict: 'inconclusive',
    note: 'cannot be judged at 100% of traffic: no stable traffic to compare with, and no earlier phase judged it',
  },
});

/**
 * A live gate as a new phase finds it: each phase must earn its pass again, and the limits count
 * afresh, as in an Argo Rollouts analysis run per step (failure-limit 1 tolerates one failed look
 * in every step, not one in the whole release). No look yet: the report must not show the phase
 * before's as this one's (the phase history keeps how that phase ended, the series its values).
 */
function freshForPhase(g: GateState): GateState {
  if (g.kind === 'offline' || g.verdict === 'fail') return g;
  const { lastUsable: _, last: __, lastBeyondBuckets: ___, ...rest } = g;
  return { ...rest, verdict: 'pending', failures: 0, inconclusives: 0, consecutiveErrors: 0 };
}

/**
 * Withdraw the candidate and end the release as failed, saying why (`ending`: how, for the report).
 * The failure is recorded first (`ctx.record`), its withdrawal under way (pending, naming what
 * serves after it, as endThenWithdraw's first record): a run that stops before the change is
 * confirmed leaves a record the next run finishes (retryWithdrawal), and one whose record GitHub
 * refuses changes nothing, so that the next run, judging again, records the failure. A change the
 * platform refuses is returned as not taken; one a defect stops (defects.ts) is thrown.
 */
export async function rollBack(
  release: Release,
  ctx: TickContext,
  why: string,
  ending: Ending = {},
): Promise<Release> {
  const now = ctx.clock.now();
  const failed: Release = {
    ...release,
    status: 'failed',
    updatedAt: now,
    // What the running phase's record said before (a config change mid-release: gates judged
    // afresh, added, dropped) stays after why it failed, as it does after a pass (noteLast).
    phases: closeLast(release.phases, now, 'failed', withEarlierNote(release.phases, why)),
    reason: why,
    ...(Object.keys(ending).length > 0 ? { ending } : {}),
  };
  await ctx.record?.({ ...failed, withdrawPending: true, ending: { ...ending, serves: release.from } });
  try {
    // Read back patiently: a rollback the platform took is not "not taken" for a read that failed once.
    await reconcile(withdrawingTarget(ctx), withdrawTraffic(release.from));
  } catch (err) {
    // Another run ended the release meanwhile: its word stands, this rollback is not this run's.
    if (err instanceof EndedElsewhereError) throw err;
    const defect = defectOf(err, []);
    // Report the truth: the rollback itself did not take (or is unconfirmed), and the next run tries it again.
    if (!defect) return rollbackNotTaken(failed, now, (err as Error).message, err);
    await recordDefect(rollbackNotTaken(failed, now, reportIt(stoppedOn(defect))), ctx);
    throw defect;
  }
  return failed;
}

/**
 * A rollback stopped by a defect (a bug in model-gate, not the platform's answer): recorded as not
 * taken, saying so, its withdrawal pending for the next run (a re-run, the post step, a tick) to try
 * again; the run then fails on the defect. Where recording fails too, the record before the change
 * (its withdrawal under way) stands, which the next run also tries again.
 */
async function recordDefect(notTaken: Release, ctx: TickContext): Promise<void> {
  try {
    await ctx.record?.(notTaken);
  } catch {
    // The defect is what the run fails on and reports.
  }
}

/** `why`, then what the running phase's record said already, joined as noteLast joins them. */
function withEarlierNote(phases: PhaseRecord[], why: string): string {
  const earlier = phases.at(-1)?.note;
  return earlier ? `${why}; ${earlier}` : why;
}

function closeLast(
  phases: PhaseRecord[],
  now: number,
  outcome: PhaseRecord['outcome'],
  note?: string,
): PhaseRecord[] {
  const last = phases.at(-1);
  if (!last || last.endedAt !== undefined) return phases;
  return [...phases.slice(0, -1), { ...last, endedAt: now, outcome, note: note ?? last.note }];
}
