import type { DriftWatchConfig, MetricsConfig, ModelConfig } from '../config/types.js';
import { InputError, MetricsError, TargetError } from '../core/errors.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { type LedgerEntry, LedgerStateError } from '../ledger/ledger.js';
import type { Bucket } from '../metrics/histogram.js';
import { showQuery } from '../metrics/show-query.js';
import { fmt } from '../stats/counts.js';
import { type DriftSizes, dkwRadius, judgeDrift } from '../stats/drift.js';
import { platformNameOf } from '../targets/target.js';
import { previousStable } from './commands.js';
import { driftsOnRecord } from './drift-alert.js';
import { type DriftWindows, driftWindows, referenceFilling, servingSince } from './drift-reference.js';
import { ledgerKnown } from './ledger-known.js';
import { type LiveCandidate, liveCandidate, liveCandidateWhy } from './live-candidate.js';
import { contextFor, type Ports } from './ports.js';
import type { Release } from './types.js';

/** One look at a stable model's predictions: recent ones against the window before them. */
export interface DriftReport {
  model: string;
  /** The stable version watched; empty when the target could not be read. */
  version: string;
  /** Population stability index, or undefined when there were too few predictions to say. */
  psi?: number;
  /** PSI, Jensen-Shannon, Wasserstein and KS distances between the two windows (effect sizes). */
  sizes?: DriftSizes;
  drifted: boolean;
  /**
   * Drifted, and the drift on record already, since `since` (ms), alerted by run `by` (its URL,
   * where the ledger knows it): this look raises no new alert (drift-alert.ts).
   */
  alerted?: { since: number; by?: string };
  /**
   * No verdict: the target or the metrics could not be read, one window had no usable counts, a
   * candidate takes live traffic (the watch is of a version serving alone), or the version began
   * serving too recently for a reference of its own predictions (drift-reference.ts).
   */
  inconclusive?: true;
  /**
   * No verdict because this source did not answer (`metrics`, `target`), or its query found no
   * predictions to compare (`predictions`) or only unusable counts (`counts`): the watch is blind
   * while it does, and says so as a warning every tick.
   */
  blind?: 'metrics' | 'target' | 'predictions' | 'counts';
  /** A drift's next step, said at the end of `note` (the PR's note): `to roll back: run the workflow with …`. */
  nextStep?: string;
  /**
   * No drift, where one is on record: why this look ends it, said after "drift over: "
   * (`PSI 0.090 below the end level 0.115, …`; withRecord).
   */
  overWhy?: string;
  note: string;
}

/**
 * The watch's false-alarm budget: `WATCH_ALPHA` per `BUDGET_PERIOD_MS`, spent one second's share
 * per look. Each tick is a fresh comparison, so false alarms add up across ticks; at one look a
 * second at most, the expected number of false alarms in any 30 days is at most WATCH_ALPHA
 * (hourly ticks spend 720 of those 2,592,000 shares). The judge's bound grows with log(1/α) only,
 * so the small share costs little power.
 */
export const WATCH_ALPHA = 0.05;
export const BUDGET_PERIOD_MS = 30 * 24 * 3_600_000;
export const LOOK_ALPHA = WATCH_ALPHA / (BUDGET_PERIOD_MS / 1000);

const total = (b: Bucket[]) => b.at(-1)?.count ?? 0;

/** Cumulative counts that are numbers, not negative and never decreasing; anything else is missing data. */
const usable = (b: Bucket[]) =>
  b.every((x, i) => Number.isFinite(x.count) && x.count >= 0 && x.count >= (b[i - 1]?.count ?? 0));

/** A watch that gave no verdict on `model` (its `version`, when known), saying why; `blind`: the source that did not answer. */
export function driftNotChecked(
  model: string,
  version: string,
  why: string,
  blind?: DriftReport['blind'],
): DriftReport {
  const note = `${version ? `${model} ${version}` : model}: drift not checked (inconclusive): ${why}`;
  return { model, version, drifted: false, inconclusive: true, ...(blind ? { blind } : {}), note };
}

/**
 * The drift watch of one model (config `drift-watch`), for `schedule` ticks. `read`: the release
 * holding the model's slot, where the tick has read it already (none: `holder` undefined);
 * `nextLook`: who looks again after a look that could not tell (a tick's default: `the next tick`).
 */
export async function watchDrift(
  model: ModelConfig,
  ports: Ports,
  read?: { holder: Release | undefined; nextLook?: string },
): Promise<DriftReport | undefined> {
  const watch = model.driftWatch;
  if (!watch) return undefined;
  const again = `${read?.nextLook ?? 'the next tick'} looks again`;
  const ctx = contextFor(model, ports);
  const unchecked = (version: string, why: string, blind?: DriftReport['blind']) =>
    driftNotChecked(model.name, version, why, blind);
  let version: string;
  let live: LiveCandidate | undefined;
  const holder = read ? read.holder : await releaseHolding(model.name, ports);
  const history = await ports.ledger.history(model.name);
  try {
    // The ledger's versions map a platform's names back (`fraud-1-1-0` is 1.1.0, not 1-1-0).
    const known = ledgerKnown(history, holder);
    const state = await ctx.target.read(known);
    version = state.stable.version;
    live = liveCandidate(state);
  } catch (err) {
    // A target outage is no verdict either: say so, and let the other models' watches run.
    if (!(err instanceof TargetError)) throw err;
    const outage = unchecked(
      '',
      `the target could not be read: ${hideUrlSecrets(err.message)}; ${again}`,
      'target',
    );
    ports.log.warn(outage.note);
    return outage;
  }
  if (live) {
    // Callers get the candidate's answers (all or some): the stable slot's metrics are not the
    // stable version's alone, and any drift found would be pinned on it and the PR that brought it.
    const serving = `${live.version} ${live.share} ${liveCandidateWhy(live, model.strategy.type, holder)}`;
    const note = `${model.name} ${version}: drift not watched while a candidate serves: ${serving}; the watch resumes once one version serves alone`;
    ports.log.info(note);
    return { model: model.name, version, drifted: false, inconclusive: true, note };
  }
  const now = ctx.clock.now();
  // Only the watched version's own predictions make its reference: none from before its promotion
  // (or rollback), which the release gates judged already.
  const filling = referenceFilling(servingSince(history, version), watch, now);
  if (filling) {
    const note = unchecked(version, filling);
    ports.log.info(note.note);
    return note;
  }
  // A drift says why no deployment is marked, where none is, and what to do next.
  const unrecorded = notOnRecord(history, version);
  const nextStep = rollbackStep(model.name, history, version);
  const report = (drifted: boolean, note: string, sizes?: DriftSizes, overWhy?: string): DriftReport => ({
    model: model.name,
    version,
    ...(sizes === undefined ? {} : { psi: sizes.psi, sizes }),
    drifted,
    ...(drifted ? { nextStep } : {}),
    ...(overWhy === undefined ? {} : { overWhy }),
    note: `${model.name} ${version}: ${drifted ? `${note}${unrecorded ? `; ${unrecorded}` : ''}; ${nextStep}` : note}`,
  });
  if (!ctx.metrics.buckets) return report(false, 'the metrics source has no histograms to watch for drift');
  const name = platformNameOf(ctx.target, version);
  const histograms = async (w: DriftWindows, recent?: Bucket[]) => {
    const get = ({ since, until }: { since: number; until: number }) =>
      ctx.metrics.buckets?.(watch.buckets, {
        model: model.name,
        slot: 'stable',
        version,
        name,
        since,
        until,
      });
    return { recent: recent ?? (await get(w.recent)), reference: await get(w.reference) };
  };
  const judged = (w: DriftWindows, b: { recent?: Bucket[]; reference?: Bucket[] }, onRecord = false) => {
    const look = judgeWindows(b, w.words, watch, onRecord, {
      unchecked: (why, blind) => unchecked(version, why, blind),
      report,
      again,
    });
    // A watch that sees nothing to compare is as blind as one whose source is down: a warning.
    if (look.blind) ports.log.warn(look.note);
    return look;
  };
  try {
    const sliding = driftWindows(watch, now);
    const fetched = await histograms(sliding);
    const look = judged(sliding, fetched);
    // A verdict is recorded next: while a drift is on record, and after it until the sliding
    // reference holds none of its span, it is judged against the reference from before it instead,
    // so that its end means the predictions came back, and their return is no new drift (driftWindows).
    if (look.inconclusive) return look;
    const drifts = await driftsOnRecord(ports.ledger, model.name, version, now);
    const onRecord = drifts[0] !== undefined && drifts[0].ended === undefined;
    const before = driftWindows(watch, now, drifts);
    if (before.reference.until === sliding.reference.until)
      return onRecord ? judged(sliding, fetched, true) : look;
    return judged(before, await histograms(before, fetched.recent), onRecord);
  } catch (err) {
    // A metrics outage is no verdict on the model: say so, and let the other models' watches run.
    if (!(err instanceof MetricsError)) throw err;
    const outage = unchecked(
      version,
      `the metrics source ${sourceName(model.metrics)} could not answer: ${hideUrlSecrets(err.message)}; ${again}`,
      'metrics',
    );
    ports.log.warn(outage.note);
    return outage;
  }
}

/**
 * One comparison of the recent window (`b.recent`) with a reference, the windows named by `span`:
 * a verdict, drifted with the next step to take, or unchecked where the counts give none.
 * `onRecord`: a drift is on record. It begins at `max-psi` and ends only below `end-psi`
 * (hysteresis: a shift hovering near `max-psi` is one drift, not an alert and an end at every
 * crossing). A look with too few predictions for the judge to tell the windows apart (a quiet
 * hour) does not end it while PSI stays at or above `end-psi`: ended there, the next busy hour
 * would alert again.
 */
function judgeWindows(
  b: { recent?: Bucket[]; reference?: Bucket[] },
  span: string,
  watch: Pick<DriftWatchConfig, 'buckets' | 'maxPsi' | 'endPsi'>,
  onRecord: boolean,
  say: {
    unchecked: (why: string, blind: DriftReport['blind']) => DriftReport;
    report: (drifted: boolean, note: string, sizes?: DriftSizes, overWhy?: string) => DriftReport;
    /** `the next tick looks again`: said where a window holds no predictions. */
    again: string;
  },
): DriftReport {
  const { recent, reference } = b;
  const { maxPsi, endPsi } = watch;
  // Missing or broken counts are no evidence of stability: never "no drift".
  for (const [name, h] of [
    ['window', recent],
    ['reference', reference],
  ] as const) {
    if (h && !usable(h))
      return say.unchecked(
        `the ${name}'s histogram has missing, negative or decreasing counts: ${span}`,
        'counts',
      );
  }
  const empty = noPredictions({ window: recent, reference }, span, watch.buckets, say.again);
  if (empty !== undefined || !recent || !reference)
    return say.unchecked(empty ?? `no predictions to compare: ${span}`, 'predictions');
  // The drift gate's judge, asked whether the two windows differ at all (tolerated distance 0)
  // at this look's share of the budget; PSI then says whether they differ by enough to matter.
  const j = judgeDrift({
    canary: { buckets: recent },
    baseline: { buckets: reference },
    alpha: LOOK_ALPHA,
    maxDistance: 0,
    names: { canary: 'window', baseline: 'reference' },
  });
  const sizes = j.sizes;
  if (!sizes) return say.unchecked(`${j.note}: ${span}`, 'counts');
  // A size that is not a number is no evidence of stability either.
  if (!Number.isFinite(sizes.psi) || !Number.isFinite(sizes.ks))
    return say.unchecked(
      `PSI ${fmt(sizes.psi)}, KS distance ${fmt(sizes.ks)} are not numbers: ${span}`,
      'counts',
    );
  // Histograms exported with other buckets since the reference: compared on the bounds both share.
  const compared = j.droppedBounds === undefined ? span : `${span}; ${j.droppedBounds}`;
  const differ = j.verdict === 'fail';
  const psiText = `PSI ${sizes.psi.toFixed(3)}`;
  if (differ && sizes.psi >= maxPsi)
    return say.report(true, `prediction drift, ${psiText} (level ${maxPsi}): ${compared}`, sizes);
  const chance = dkwRadius(total(recent), LOOK_ALPHA / 2) + dkwRadius(total(reference), LOOK_ALPHA / 2);
  const withinChance = `KS distance ${fmt(sizes.ks)} is within chance for ${total(recent)} and ${total(reference)} predictions, up to ${fmt(Math.min(1, chance))}`;
  const ksText = `KS distance ${fmt(sizes.ks)}`;
  // A drift on record holds while its size does (PSI at or above end-psi): on a look whose windows
  // still differ, or one too small for the judge to tell them apart (failing to reject is no end).
  if (onRecord && sizes.psi >= endPsi) {
    const level =
      sizes.psi >= maxPsi
        ? `still at or above level ${maxPsi}`
        : `below level ${maxPsi} but still at or above the end level ${endPsi}`;
    const why = differ
      ? `the distributions differ, ${ksText}`
      : `this look's ${total(recent)} predictions are too few to tell the windows apart (${withinChance})`;
    return say.report(true, `drift not over, ${psiText} ${level}; ${why}: ${compared}`, sizes);
  }
  // Failing to reject is no proof the windows match (the judge's own words: "no drift shown").
  if (!differ) {
    const over = onRecord ? 'the predictions match the reference from before it again' : undefined;
    return say.report(false, `no drift shown, ${psiText} (${withinChance}): ${compared}`, sizes, over);
  }
  const why = `below level ${maxPsi}; the distributions differ, ${ksText}`;
  // Ended by its size, not by a return: the window still differs from the reference, by less.
  const over = onRecord
    ? `${psiText} below the end level ${endPsi}, though the window still differs from the reference from before it (${ksText})`
    : undefined;
  return say.report(false, `no drift, ${psiText} (${why}): ${compared}`, sizes, over);
}

/**
 * Why a look has nothing to compare, where a window holds no predictions: which window, and the
 * query that matched nothing there (no data, not 0: a misspelt metric or label matches nothing),
 * or that counted none. Undefined where both hold some.
 */
function noPredictions(
  windows: { window?: Bucket[]; reference?: Bucket[] },
  span: string,
  query: string,
  again: string,
): string | undefined {
  const empty = (['window', 'reference'] as const).filter((w) => total(windows[w] ?? []) === 0);
  if (empty.length === 0) return undefined;
  const named = (ws: readonly string[]) => (ws.length === 2 ? 'either window' : `the ${ws[0]}`);
  const unmatched = empty.filter((w) => windows[w] === undefined);
  const zero = empty.filter((w) => windows[w] !== undefined);
  const how = [
    ...(unmatched.length > 0 ? [`matched nothing for ${named(unmatched)}, which is no data, not 0`] : []),
    ...(zero.length > 0 ? [`counts 0 predictions in ${named(zero)}`] : []),
  ].join(' and ');
  const check =
    empty.length === 2
      ? "check the query's metric and label names against the source (a misspelt one matches nothing) and that the model serves traffic"
      : empty[0] === 'reference'
        ? 'check that the metrics source keeps data that far back and that the version served then'
        : 'check that the version serves traffic now and that the metric is still exported';
  return `no predictions in ${named(empty)} to compare (${span}): drift-watch.buckets ${showQuery(query)} ${how}: ${check}; ${again}`;
}

/**
 * A drift's next step: the rollback command, and the version it goes back to by default where the
 * ledger says (the command's own choice, previousStable); where it does not, the version to name.
 */
function rollbackStep(model: string, history: LedgerEntry[], serving: string): string {
  // The workflow's inputs, then the command line's: a tick runs in either.
  const run = `to roll back: run the workflow with command: rollback, model: ${model}`;
  const cli = `model-gate run rollback --model ${model}`;
  try {
    return `${run} (default back to ${previousStable(model, history, serving)}), or ${cli}`;
  } catch (err) {
    // No version to go back to by default: the command asks for one, so the step says so now.
    if (!(err instanceof InputError)) throw err;
    return `${run}, to-version: the version to serve, or ${cli} --to-version VERSION`;
  }
}

/**
 * Why drift of `version` marks no deployment and tells no PR: the ledger records changes, but none
 * to this version (the platform was changed outside model-gate). Undefined when it has one, or
 * records nothing of the model at all.
 */
function notOnRecord(history: LedgerEntry[], version: string): string | undefined {
  if (history.length === 0 || history.some((e) => e.version === version)) return undefined;
  return `${version} has no promotion or rollback on record (it serves by a change made outside model-gate), so no promotion's deployment is marked and no PR told`;
}

/**
 * The model's release holding the slot, to name its candidate; a record that does not parse (a
 * comment edited by hand, which the tick reports on its own) names none.
 */
async function releaseHolding(model: string, ports: Ports): Promise<Release | undefined> {
  try {
    return await ports.ledger.canaryHolder(model);
  } catch (err) {
    if (err instanceof LedgerStateError) return undefined;
    throw err;
  }
}

/** `sandbox at http://host:port`, `cloudwatch`: which source a message is about, without secrets. */
function sourceName(metrics: MetricsConfig): string {
  if ('url' in metrics) return `${metrics.type} at ${safeUrl(metrics.url)}`;
  if (metrics.type === 'file') return `file ${metrics.path}`;
  return metrics.type;
}
