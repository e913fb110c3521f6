import { readsWholeService } from '../config/gate-queries.js';
import { formatPercent } from '../config/percent.js';
import type {
  ConversionGateConfig,
  GateConfig,
  LatencyGateConfig,
  ModelConfig,
  RatioGateConfig,
} from '../config/types.js';
import { counted } from '../core/text.js';
import { type Bounds, describeBounds, needsBaseline, quantileName } from '../gates/bounds.js';
import { conversionUnit } from '../gates/conversion-unit.js';
import { withdrawalUnderWay } from '../release/finish.js';
import { refusedBeforeTraffic } from '../release/phase-notes.js';
import { reachedPlannedSize } from '../release/planned-sample.js';
import type { Evidence, GateState, Measurement, PhaseRecord, Release } from '../release/types.js';
import { thousands, withoutNeedsMoreData } from '../stats/conversion.js';
import { eValueText } from '../stats/counts.js';
import { withoutDriftWait } from '../stats/drift.js';
import { KAYENTA_CONFIDENCE } from '../stats/kayenta.js';
import { phasesOf } from '../strategies/strategy.js';
import { perRequestSplitNote } from '../targets/capabilities.js';
import { droppedCopiesNote } from './dropped-copies.js';
import { earlierValues } from './earlier-look.js';
import { endedAtCapNote } from './ended-at-cap.js';
import { apartDigits, formatInBucket, formatLasted, formatSignificant, formatStatistic } from './format.js';
import { gateLabel } from './gate-label.js';
import { plainNote, plainReason } from './plain-note.js';

/** A gate as one row of the report, in display strings: shared by markdown and terminal views. */
export interface GateRow {
  gate: string;
  candidate: string;
  baseline: string;
  bound: string;
  /**
   * The test behind the bound and its α (`sequential, α 0.025`), for a reader re-checking the
   * statistics: kept out of the bound, which says what must hold in plain words. Empty for none.
   */
  method: string;
  verdict: string;
  note: string;
}

export interface PhaseRow {
  phase: string;
  traffic: string;
  started: string;
  lasted: string;
  outcome: string;
  /** What the phase recorded: a smoke test's results, why it ended. */
  note: string;
}

const VERDICT: Record<GateState['verdict'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  pending: '⏳ pending',
};

/** How a gate's values read: the query `formatValue` formats them as. */
export function queryOf(config: GateConfig | undefined, name: string): string {
  switch (config?.kind) {
    case 'threshold':
      return config.query;
    case 'offline':
      return config.key;
    case 'ratio':
      return `${config.events}-rate`;
    case 'latency':
      // The sandbox's `latency` reads in ms; another histogram's unit is not known: its quantile names it.
      return config.buckets === 'latency' ? 'latency' : `p${Number((config.quantile * 100).toPrecision(4))}`;
    case 'srm':
      return 'share-rate';
    case 'conversion':
      return 'conversion-rate';
    case 'drift':
      return 'median-score';
    default:
      return name;
  }
}

/** The note of a gate that read the whole service (readsWholeService): its value is not the candidate's. */
export const WHOLE_SERVICE_NOTE = 'whole service: does not isolate the candidate';

const pct = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;

function bound(config: GateConfig | undefined, query: string, digits = NO_DIGITS): string {
  switch (config?.kind) {
    case undefined:
      return '';
    case 'threshold':
    case 'offline':
      return describeBounds(query, config, digits);
    case 'ratio':
    case 'latency':
      return comparedBound(config);
    case 'srm':
      return `within ±${pct(config.maxMismatch)} of the configured split`;
    case 'conversion':
      return conversionPass(config);
    case 'drift':
      return `KS distance ≤ ${formatStatistic(config.maxDistance)}`;
    case 'webhook':
      return `pass from ${new URL(config.url).host}`;
  }
}

/**
 * The digits past the usual (formatValue's `extraDigits`) of the cells a gate compares with each
 * other: the candidate's value, the baseline's, and a threshold's min and max. Without them a
 * candidate of 0.909996 under a min of 0.91 read `0.9100` beside `≥ 0.9100` and ❌, the failure
 * its own note tells apart (`0.909996 is below the min 0.910000`, bounds.ts boundViolations).
 */
interface CellDigits {
  candidate: number;
  baseline: number;
  min: number;
  max: number;
}

const NO_DIGITS: CellDigits = { candidate: 0, baseline: 0, min: 0, max: 0 };

/**
 * Whether the gate judges the candidate's value shown against the baseline's, so the two cells must
 * not read the same when they differ: a threshold's relative bounds, and a ratio or latency gate's
 * `threshold` judge (look by look). Not the statistical judges, which test counts or distributions
 * the cells only summarise (a pending p95 of 77.26 ms beside 77.27 ms keeps reading 77.3 ms).
 */
function comparesArms(config: GateConfig | undefined): boolean {
  switch (config?.kind) {
    case 'threshold':
      return needsBaseline(config);
    case 'ratio':
    case 'latency':
      return config.judge === 'threshold';
    default:
      return false;
  }
}

/** The digits that tell the shown candidate `canary` from what it is compared with (CellDigits). */
function cellDigits(
  config: GateConfig | undefined,
  query: string,
  canary: number | undefined,
  baseline: number | undefined,
): CellDigits {
  if (canary === undefined || !Number.isFinite(canary)) return NO_DIGITS;
  const apart = (other: number | undefined) =>
    other === undefined || !Number.isFinite(other) ? 0 : apartDigits(query, canary, other);
  const absolute: Bounds = config?.kind === 'threshold' || config?.kind === 'offline' ? config : {};
  const digits = {
    min: apart(absolute.min),
    max: apart(absolute.max),
    baseline: comparesArms(config) ? apart(baseline) : 0,
  };
  return { ...digits, candidate: Math.max(digits.min, digits.max, digits.baseline) };
}

/** The test a gate's bound is judged with and its α (GateRow.method); empty for a plain comparison. */
export function judgeOf(config: GateConfig | undefined): string {
  const alpha = (a: number) => `α ${formatStatistic(a)}`;
  switch (config?.kind) {
    case 'ratio':
    case 'latency':
      if (config.judge === 'sequential') return `sequential, ${alpha(config.alpha)}`;
      return config.judge === 'mann-whitney' ? `Mann-Whitney, confidence ${KAYENTA_CONFIDENCE}` : '';
    case 'srm':
      return `sequential split check, ${alpha(config.alpha)}`;
    case 'conversion':
      return `mSPRT, ${config.direction === 'either' ? 'two-sided ' : ''}${alpha(config.alpha)}`;
    case 'drift':
      return `time-uniform DKW, ${alpha(config.alpha)}`;
    default:
      return '';
  }
}

/**
 * The rule the gate's judge applies, in words (its test and α: judgeOf): sequential tests the
 * rate (ratio), or the share of requests slower than the baseline's quantile (latency), against
 * the baseline's times 1 + max-increase, as the judge's note says it (`tolerated ×1.1`);
 * threshold compares the quantile or rate itself with the baseline's at every look; mann-whitney
 * tests one-minute values for an upward shift whose mean ratio reaches 1 + max-increase, at
 * Kayenta's confidence whatever the gate's alpha (judge-looks.ts).
 */
function comparedBound(config: RatioGateConfig | LatencyGateConfig): string {
  const latency = config.kind === 'latency';
  const what = latency ? quantileName(config.quantile) : 'rate';
  switch (config.judge) {
    case 'sequential': {
      const times = `×${Math.round((1 + config.maxIncrease) * 1000) / 1000}`;
      return latency
        ? `at most ${times} the baseline's share of requests slower than its ${what}`
        : `at most ${times} the baseline's rate`;
    }
    case 'threshold':
      return `≤ baseline +${pct(config.maxIncrease)} (${what}, look by look)`;
    case 'mann-whitney':
      return `no upward shift of the per-minute ${what} beyond baseline +${pct(config.maxIncrease)}`;
  }
}

/**
 * What a conversion gate's pass needs: with no margin, a significant winner (a rise, or a drop
 * where lower is better); with one, no change beyond it in the regression direction.
 */
function conversionPass(config: ConversionGateConfig): string {
  const better = config.direction === 'increase' ? 'drop' : 'rise';
  const worse = config.direction === 'increase' ? 'rise' : 'drop';
  return config.margin > 0 ? `no ${worse} beyond ${pct(config.margin)}` : `a significant ${better}`;
}

/** An A/B on a platform that splits each request at random: the note that it is not sticky. */
export const splitNote = (model: ModelConfig | undefined): string | undefined =>
  model?.strategy.type === 'ab'
    ? perRequestSplitNote(model.target.type, model.strategy.stickyHeader)
    : undefined;

/**
 * The effect with its interval and the strength of evidence: `effect 1.92 [1.31, 2.8], e-value 45`;
 * without what the note already shows (`shown`), so that no figure reads twice, rounded two ways
 * (a count note's `at least ×1.37` is its bound rounded outward). The method's name is not
 * said: GateRow.method names the test.
 */
export function describeEvidence(
  e: Evidence | undefined,
  shown: { effect?: boolean; eValue?: boolean } = {},
): string {
  if (!e) return '';
  const parts: string[] = [];
  if (!shown.effect && e.effect !== undefined) {
    parts.push(
      `effect ${formatStatistic(e.effect)}${e.interval ? ` [${formatStatistic(e.interval[0])}, ${formatStatistic(e.interval[1])}]` : ''}`,
    );
  }
  if (e.eValue !== undefined) {
    if (!shown.eValue) parts.push(`e-value ${eValueText(e.eValue)}`);
  } else if (e.pValue !== undefined) parts.push(`p-value ${formatStatistic(e.pValue)}`);
  return parts.join(', ');
}

/**
 * What of the evidence a gate's note already says: a count note (countNote) its rate ratio and
 * bound (`×4.8, at least ×1.37`), a conversion note its lift with its interval; either, or a
 * split check's, its e-value.
 */
function shownInNote(note: string, kind: GateState['kind']): { effect: boolean; eValue: boolean } {
  return {
    effect: kind === 'conversion' || /tolerated ×|no regression beyond ×/.test(note),
    eValue: /\be-value /.test(note),
  };
}

export function gateRows(release: Release, model: ModelConfig | undefined): GateRow[] {
  const mismatch = release.gates.find((g) => g.kind === 'srm' && g.verdict === 'fail');
  return release.gates.map((g) => {
    const config = model?.gates.find((c) => c.name === g.name);
    const query = queryOf(config, g.name);
    const m = g.last;
    const unit = unitOf(config);
    const requests = (n?: number) => (n === undefined ? '' : ` (${thousands(n)} ${unit})`);
    // What an offline gate's passing note repeats (passedNote): in the usual digits.
    const bounds = bound(config, query);
    const invalid = mismatch !== undefined && invalidatedBySplit(g, config);
    const noWinner = noWinnerAtPlannedSample(g, release, config);
    const unread = unreadNote(g);
    const seen =
      g.verdict === 'pass'
        ? passedNote(m, bounds, release)
        : (unread ??
          noWinner ??
          endedAtCapNote(g, release, model) ??
          endedWaitingNote(g, release) ??
          m?.note ??
          '');
    const plain = plainNote(seen, m);
    const note = invalid ? invalidatedNote(mismatch, plain) : plain;
    const evidence = describeEvidence(m?.evidence, shownInNote(note, g.kind));
    const verdict = invalid
      ? INVALIDATED
      : unread
        ? NO_DATA
        : noWinner
          ? VERDICT.fail
          : verdictText(g, release);
    const method = judgeOf(config);
    // A score distribution's cells are its medians: beside a KS bound, a bare 0.25 reads as a distance.
    // A quantile interpolated inside a bucket as that bucket's range (Measurement.inBucket).
    // A floor is a bucket's bound as exported (`> 138.5 ms`), exact: written in full.
    const cell = (value: number, extra = 0, range?: [number, number], floor?: true) =>
      `${g.kind === 'drift' ? 'median ' : ''}${
        notedInSignificantDigits(config) && !floor
          ? formatSignificant(query, value, range)
          : formatInBucket(query, value, range, extra)
      }`;
    // First, so that a look over the bound does not read as contradicting the verdict beside it.
    const tolerated = toleratedNote(g, config);
    // One service-wide series read for both arms: no candidate or baseline value to show.
    if (config && model && readsWholeService(config, model)) {
      const digits = cellDigits(config, query, m?.canary, undefined);
      return {
        gate: gateLabel(config, g.name),
        candidate:
          m?.canary === undefined
            ? '–'
            : `service ${floorCell(formatInBucket(query, m.canary, m.inBucket?.canary, digits.candidate), m.floors?.canary)}`,
        baseline: '–',
        bound: bound(config, query, digits),
        method,
        verdict,
        note: [WHOLE_SERVICE_NOTE, tolerated, note].filter(Boolean).join('; '),
      };
    }
    // No value in this look: the last a look read, and in which phase, rather than a dash.
    const earlier = g.kind === 'srm' ? undefined : earlierValues(g, release);
    if (earlier) {
      const digits = cellDigits(config, query, earlier.canary, earlier.baseline);
      const from = (v: number | undefined, extra: number) =>
        v === undefined ? '–' : `${cell(v, extra)} in ${earlier.phase.name}`;
      const current = release.phases.at(-1);
      const noLookYet =
        release.status === 'analysing' && !m && current && current !== earlier.phase
          ? `no look yet in ${current.name}`
          : '';
      return {
        gate: gateLabel(config, g.name),
        candidate: from(earlier.canary, digits.candidate),
        baseline: from(earlier.baseline, digits.baseline),
        bound: bound(config, query, digits),
        method,
        verdict,
        note: [tolerated, noLookYet, note, evidence].filter(Boolean).join('; '),
      };
    }
    const digits = cellDigits(config, query, m?.canary, m?.baseline);
    return {
      gate: gateLabel(config, g.name),
      candidate:
        m?.canary === undefined
          ? '–'
          : `${floorCell(cell(m.canary, digits.candidate, m.inBucket?.canary, m.floors?.canary), m.floors?.canary)}${requests(m.canaryRequests)}`,
      baseline:
        m?.baseline === undefined
          ? // Blue with no requests before the switch: said, or the dash reads as a value lost.
            `–${m?.baselineWindow ? baselineSpan(requests(m.baselineRequests), m, release) : ''}`
          : g.kind === 'srm'
            ? // The split check's reference is the configured share, not what the stable arm measured.
              `configured ${cell(m.baseline, digits.baseline)}${m.baselineRequests === undefined ? '' : ` (stable: ${thousands(m.baselineRequests)} ${unit})`}`
            : `${floorCell(cell(m.baseline, digits.baseline, m.inBucket?.baseline, m.floors?.baseline), m.floors?.baseline)}${baselineSpan(requests(m.baselineRequests), m, release)}`,
      bound: bound(config, query, digits),
      method,
      verdict,
      // What the arms showed first, the statistics behind the verdict after.
      note: [tolerated, note, evidence].filter(Boolean).join('; '),
    };
  });
}

/**
 * `> 138.5 ms (beyond the last bucket)`: a value that is only the histogram's largest finite bucket
 * bound, the quantile lying beyond it (Measurement.floors), which bare reads as the one measured.
 */
const floorCell = (shown: string, floor: true | undefined) =>
  floor ? `> ${shown} (beyond the last bucket)` : shown;

/**
 * A gate whose judge's note writes the arms' values in 3 significant digits (a sequential count
 * test's `3% on v2 vs 1.01% on v1`, a latency's `(≈203)`, a split check's `33.3%`): its cells
 * write them so too, or one value reads two ways in one row (`3.00%` beside `3%`).
 */
function notedInSignificantDigits(config: GateConfig | undefined): boolean {
  if (config?.kind === 'srm') return true;
  return (config?.kind === 'ratio' || config?.kind === 'latency') && config.judge === 'sequential';
}

/**
 * What a row counts its arms in: a split check with `units` users (ratio-gate.ts measureSrm), a
 * conversion gate exposures, or users where it counts them (conversionUnit; as its notes and the
 * planned sample say), any other gate requests.
 */
function unitOf(config: GateConfig | undefined): string {
  if (config?.kind === 'srm' && config.units !== undefined) return 'users';
  return config?.kind === 'conversion' ? conversionUnit(config) : 'req';
}

/** The verdict of a gate ended by failed reads: no verdict on the candidate, which it never saw. */
export const NO_DATA = '⚠️ no data';

/**
 * A gate that failed on its failed reads (threshold-gate.ts foldMeasurement's error limit, or
 * metrics-preflight.ts before any traffic): its last look an error, its count of them in a row
 * set. Not a failure on data that was read (over the bound, too many inconclusive looks), whose
 * last look is no error. The backend's words and how many reads failed; undefined for any other.
 */
function unreadNote(g: GateState): string | undefined {
  if (g.verdict !== 'fail' || g.last?.verdict !== 'error' || g.consecutiveErrors === 0) return undefined;
  const what = g.kind === 'webhook' ? 'call' : 'read';
  const n = g.consecutiveErrors;
  const count = n === 1 ? `1 failed ${what}` : `${n} failed ${what}s in a row`;
  return g.last.note ? `${g.last.note} (${count})` : count;
}

/**
 * ` (600 req; v1, the 4s before the switch)`: a baseline read over the stable version's traffic
 * before the phase (Measurement.baselineWindow, at 100% of live traffic), which beside the
 * candidate's 100% would otherwise read as traffic the stable version served meanwhile. One that
 * ends before an earlier candidate's switch names it (`before v2's switch`): not this phase's.
 */
function baselineSpan(requests: string, m: Measurement, release: Release): string {
  if (!m.baselineWindow) return requests;
  const { since, until, switchOf } = m.baselineWindow;
  const which =
    switchOf === undefined
      ? 'the switch'
      : `${switchOf}'s ${switchOf === release.to ? 'earlier ' : ''}switch`;
  const span = `${release.from}, the ${formatLasted(until - since)} before ${which}`;
  return requests ? `${requests.slice(0, -1)}; ${span})` : ` (${span})`;
}

/**
 * A gate of a release that ended while its last look was still waiting for data (too few candidate
 * requests, minutes): what that look counted is a count at that moment, not the phase's, so the
 * note says when it was and how long the phase ran on. A count of none was no measurement of the
 * candidate's traffic (a window with no whole second ended yet reads 0): said as not judged yet.
 * Undefined for any other gate, whose note stands as it is.
 */
function endedWaitingNote(g: GateState, release: Release): string | undefined {
  const m = g.last;
  const phase = release.phases.at(-1);
  if (g.verdict !== 'pending' || release.status === 'analysing' || m?.verdict !== 'waiting' || !phase)
    return undefined;
  const lasted = formatLasted((phase.endedAt ?? release.updatedAt) - phase.startedAt);
  if (m.at <= phase.startedAt) return `not looked at yet: the phase ended after ${lasted}`;
  const into = formatLasted(m.at - phase.startedAt);
  const when =
    into === lasted
      ? `at its last look, as the phase ended after ${lasted}`
      : `at its last look, ${into} into the phase, which ended after ${lasted}`;
  if (m.canaryRequests === 0 && !m.evidence) return `not judged yet: no candidate requests counted ${when}`;
  // The release ended: the verdict says undecided, and no more data comes (`not yet conclusive
  // (needs more data; …)`, `no drift shown yet (needs more data)` were true while it ran).
  return m.note ? `${withoutDriftWait(withoutNeedsMoreData(m.note))} (${when})` : `not judged yet ${when}`;
}

/**
 * A conversion gate of an A/B that failed with it undecided at its planned sample, where its test
 * had the design's power: that is its failure (release/tick.ts planEnd), not a wait for more data.
 * What it looked for and did not find, then what the arms showed; undefined for any other gate.
 */
function noWinnerAtPlannedSample(
  g: GateState,
  release: Release,
  config: GateConfig | undefined,
): string | undefined {
  const m = g.last;
  if (!failedAtPlannedSample(g, release) || !m?.note) return undefined;
  const sought =
    config?.kind === 'conversion' && config.margin > 0
      ? `not shown non-inferior (margin ${formatPercent(config.margin)})`
      : 'no significant winner';
  return `${sought} at the planned sample: ${withoutNeedsMoreData(m.note)}`;
}

/**
 * A conversion gate still pending in a release that failed at its planned sample: it failed there
 * (release/tick.ts planEnd), whatever its stored verdict; the row and the chart both say so.
 */
export function failedAtPlannedSample(g: GateState, release: Release): boolean {
  if (g.kind !== 'conversion' || g.verdict !== 'pending' || release.status !== 'failed') return false;
  return g.last?.note !== undefined && reachedPlannedSize(g.last);
}

/** The verdict of a metric gate's pass that a sample ratio mismatch voided. */
export const INVALIDATED = '⚠️ invalidated';

/**
 * A metric gate's pass that a failed split check voids (SPEC: a sample ratio mismatch invalidates
 * the analysis, reported as such): its arms were not the split configured, so a "significant
 * winner" beside the rollback for the mismatch would claim what the data cannot show. Not the split
 * check itself, nor gates that read no arm (offline, webhook), nor a threshold with only absolute
 * bounds (errors ≤ 2%), which holds the candidate's own value to them whatever the split; a
 * failure stays a failure.
 */
function invalidatedBySplit(g: GateState, config: GateConfig | undefined): boolean {
  if (g.verdict !== 'pass' || g.kind === 'srm' || g.kind === 'offline' || g.kind === 'webhook') return false;
  return !(
    config?.kind === 'threshold' &&
    config.maxIncrease === undefined &&
    config.maxDecrease === undefined
  );
}

/** What an invalidated gate's row says after its verdict: the mismatch first, then what its look saw. */
function invalidatedNote(split: GateState, seen: string): string {
  const why = `by ${split.name}'s sample ratio mismatch`;
  return seen ? `${why}, so what it saw does not count: ${seen}` : why;
}

/**
 * The looks of this phase that failed and that `failure-limit` let pass without failing the gate:
 * without it, a pending or undecided gate whose note says it is over its bound reads as a contradiction.
 */
function toleratedNote(g: GateState, config: GateConfig | undefined): string {
  if (g.verdict === 'fail' || g.failures === 0 || !config || !('failureLimit' in config)) return '';
  const looks = counted(g.failures, 'look');
  const what = config.kind === 'threshold' ? `over the bound on ${looks}` : `a regression on ${looks}`;
  return `⚠️ ${what} (${tolerance(config.failureLimit)})`;
}

/** `failure-limit` in words, rather than the field: `one is tolerated; a second fails the gate`. */
function tolerance(limit: number): string {
  const next = ORDINALS[limit] ? `a ${ORDINALS[limit]}` : 'one more';
  return `${limit === 1 ? 'one is' : `up to ${limit} are`} tolerated; ${next} fails the gate`;
}

/** By index: the look after `failure-limit` more. */
const ORDINALS = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
];

/**
 * A pending gate of a release that ended waits for nothing: it did not decide, or never looked in
 * the phase it ended in (a later phase than the first: the earlier ones' outcomes are their own).
 */
function verdictText(g: GateState, release: Release): string {
  if (g.verdict !== 'pending' || release.status === 'analysing') return VERDICT[g.verdict];
  if (g.last) return '➖ undecided';
  const phase = release.phases.at(-1);
  return release.phases.length > 1 && phase ? `➖ not run in ${phase.name}` : '➖ not run';
}

/**
 * What a passed gate's last look says about the pass: the judge's words (a conversion's lift and
 * the sample size a fixed test would need, why a last rolling batch was not judged). Not a note
 * that only repeats the bound (an offline gate's), nor one of a look that did not decide.
 */
function passedNote(m: Measurement | undefined, bounds: string, release: Release): string {
  if (!m?.note || m.note === bounds) return '';
  if (m.verdict === 'pass') return m.note;
  // The judge saw the data without finding a regression, and the phase's deadline passed the gate:
  // no evidence of one, which is not evidence of none. Only a canary's phases are steps.
  if (m.verdict === 'waiting' && m.evidence) {
    const phase = release.phases.at(-1)?.name ?? '';
    const deadline = /^step \d+ of \d+$/.test(phase)
      ? "the step's deadline"
      : `the end of ${phase || 'the phase'}`;
    return `no regression found by ${deadline} (not proof of none): ${m.note}`;
  }
  return '';
}

export function phaseRows(release: Release, model: ModelConfig | undefined, now: number): PhaseRow[] {
  return release.phases.map((p, i) => ({
    phase: p.name,
    // A refused first change served nobody: its share shows as asked, beside the 0% it got; a
    // later switch that did not take, beside the share the phase before kept.
    traffic: refusedBeforeTraffic(release)
      ? `0% (asked ${askedTraffic(p, release, model)})`
      : p.switchFailed
        ? `${keptTraffic(release.phases[i - 1], release, model)} (asked ${askedTraffic(p, release, model)})`
        : phaseTraffic(p, release, model),
    started: new Date(p.startedAt).toISOString().replace('T', ' ').slice(0, 19),
    lasted: formatLasted((p.endedAt ?? now) - p.startedAt),
    outcome: phaseOutcome(p, release),
    note: phaseNote(p, release),
  }));
}

/**
 * A phase's outcome as the release's state says it now. An end records its last phase withdrawn
 * before the platform confirmed the change (finish.ts endThenWithdraw): being withdrawn while under
 * way, refused (or taken, never read back: unconfirmed) while the withdrawal is pending. An older
 * model-gate left that phase open on a refusal; an open phase of a release that ended ended with it.
 */
function phaseOutcome(p: PhaseRecord, release: Release): string {
  const last = p === release.phases.at(-1);
  if (last && refusedBeforeTraffic(release)) return 'refused';
  if (p.switchFailed) return 'switch refused';
  if (p.outcome === 'withdrawn' && withdrawalUnderWay(release)) return 'being withdrawn';
  if (
    last &&
    (p.outcome === undefined || p.outcome === 'withdrawn') &&
    release.withdrawPending &&
    !withdrawalUnderWay(release)
  )
    // Taken by the platform but never read back (withdrawFailed.unconfirmed): not refused.
    return release.ending?.withdrawFailed?.unconfirmed ? 'withdrawal unconfirmed' : 'withdrawal refused';
  if (p.outcome) return p.outcome;
  if (release.ending?.recordOnly) return 'aborted by hand (not withdrawn)';
  return release.status === 'analysing' ? 'running' : release.status;
}

/**
 * What a phase recorded. A failed phase's note is the release's reason, then what its record said
 * before (a gate configured differently mid-release). The reason names a phase whose smoke test
 * failed it again: that phase shows the smoke test's own words (Release.ending), then those notes.
 */
function phaseNote(p: PhaseRecord, release: Release): string {
  // The outcome and the traffic asked say which switch failed: the platform's words follow.
  if (p.switchFailed) return (p.note ?? '').replace(SWITCH_FAILED, '');
  const smoke = release.ending?.smokeFailed;
  if (smoke && p.outcome === 'failed' && p === release.phases.at(-1)) {
    // tick.ts stores `<phase> failed: <smoke note>; <earlier notes>`.
    const stored = withoutPhaseName(p.note ?? '', p.name);
    return stored.startsWith(smoke.note) ? stored : smoke.note;
  }
  const note = smoke ? (p.note ?? '') : withoutPhaseName(p.note ?? '', p.name);
  // As the top sentence says it: the e-value's meaning, its figures in the gate's row.
  return plainReason(note, p.outcome === 'failed' ? 'fail' : 'pass');
}

/** How tick.ts's enterPhase begins a failed switch's note: `the switch to 75% of live traffic failed: `. */
const SWITCH_FAILED = /^the switch to .+? failed: /;

/** The share a switch that did not take left the candidate: the phase before's (`prev`), none before the first. */
function keptTraffic(
  prev: PhaseRecord | undefined,
  release: Release,
  model: ModelConfig | undefined,
): string {
  if (!prev) return '0%';
  return prev.weight === 0 ? askedTraffic(prev, release, model) : `${prev.weight}%`;
}

/** What the config's phase named `p` asks for (the record keeps 0% for one refused): `10%`, `mirror 10%`. */
function askedTraffic(p: PhaseRecord, release: Release, model: ModelConfig | undefined): string {
  const phase = model && phasesOf(model.strategy).find((x) => x.name === p.name);
  const mirror = phase?.traffic(release.from, release.to).mirror;
  if (phase?.weight === 0 && mirror && mirror.share > 0) return `mirror ${mirror.share}%`;
  return `${phase?.weight ?? p.weight}%`;
}

/**
 * A state stored before Release.ending.smokeFailed (an older model-gate) has only the reason the
 * engine wrote, `<phase> failed: <what the smoke test found>`: without the phase's name, which the
 * report gives already. Any other text is returned as it is.
 */
export function withoutPhaseName(text: string, phase: string): string {
  const again = `${phase} failed: `;
  return text.startsWith(again) ? text.slice(again.length) : text;
}

/**
 * The candidate's share of live traffic, or, for a mirrored phase (shadow), the share of requests
 * copied to it: its 0% of live traffic would read as if it saw nothing.
 */
function phaseTraffic(p: PhaseRecord, release: Release, model: ModelConfig | undefined): string {
  const phase = model && phasesOf(model.strategy).find((x) => x.name === p.name);
  const mirror = phase?.traffic(release.from, release.to).mirror;
  if (p.weight === 0 && mirror && mirror.share > 0)
    return `mirror ${mirror.share}% (answers never returned)${droppedCopiesNote(p, release)}`;
  return `${p.weight}%`;
}
