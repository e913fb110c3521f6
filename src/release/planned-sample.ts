import { formatDuration } from '../config/duration.js';
import { formatPercent } from '../config/percent.js';
import { AB_STEP_DURATION_DEFAULT } from '../config/strategy-schema.js';
import type { GateConfig, StrategyConfig } from '../config/types.js';
import { OVER_COUNTED } from '../gates/conversion-gate.js';
import { type ConversionUnit, conversionUnit } from '../gates/conversion-unit.js';
import { usableLook } from '../gates/threshold-gate.js';
import { utcMinute } from '../report/format.js';
import { plannedShareText, signedPct, thousands } from '../stats/conversion.js';
import { phasesOf } from '../strategies/strategy.js';
import { CAP_RUN_AGAIN } from './phase-notes.js';
import { seriesSecond } from './series.js';
import type { GateState, Measurement, Release } from './types.js';

// An A/B runs until its conversion gates reach their planned sample, where the judge's test has
// the design's power (`sampleSize`, stored with each look), not for a fixed time.

interface Progress {
  /** Candidate exposures (users, where the gate counts them: conversionUnit) counted in the phase so far. */
  reached: number;
  /** The planned sample size, in the same unit. */
  size: number;
}

/** How far a conversion look's candidate arm is toward its planned sample, when the look planned one. */
export function sampleProgress(look: Measurement | undefined): Progress | undefined {
  const size = look?.evidence?.sampleSize;
  const reached = look?.canaryRequests;
  return size === undefined || reached === undefined ? undefined : { reached, size };
}

export function reachedPlannedSize(look: Measurement | undefined): boolean {
  const p = sampleProgress(look);
  return p !== undefined && p.reached >= p.size;
}

const sampleText = (p: Progress, unit: ConversionUnit) =>
  `${thousands(p.reached)} of ${thousands(p.size)} candidate ${unit}`;

/** What the gate named `g` counts, by its config among `configs`; `exposures` without one. */
const unitIn = (configs: GateConfig[], g: GateState): ConversionUnit =>
  conversionUnit(configs.find((c) => c.name === g.name));

/**
 * `2,400 of its 7,294 planned candidate exposures (32%)` (users, for a gate counting them): the
 * sample a conversion look had short of its planned one, with the share as the cap's reason gives
 * it; undefined without a plan or once the plan is reached.
 */
export function sampleShortText(look: Measurement | undefined, unit: ConversionUnit): string | undefined {
  const p = sampleProgress(look);
  if (!p || p.reached >= p.size) return undefined;
  return `${thousands(p.reached)} of its ${thousands(p.size)} planned candidate ${unit} (${shareText(p)})`;
}

/** When an A/B's phase started and the cap it may run to (its step-duration, or a longer hold). */
export interface PhaseSpan {
  since: number;
  capMs: number;
}

/**
 * A gate an A/B waits for: `conversion (412 of 60,547 planned candidate exposures (0.7%); …)`
 * (users, where its config among `configs` counts them), or its name alone. After the share, when
 * the phase is to end: the time the planned sample is reached at the phase's own exposure rate,
 * and the cap; or, when that rate cannot reach the planned size before the cap, that it cannot
 * (such an A/B would otherwise run to its cap without a word and fail there). A reviewer can tell
 * whether to wait hours or days.
 */
export function waitingText(
  g: GateState,
  look: Measurement | undefined,
  span?: PhaseSpan,
  configs: GateConfig[] = [],
): string {
  const p = g.kind === 'conversion' ? sampleProgress(look) : undefined;
  if (!p) return g.name;
  const unit = unitIn(configs, g);
  const end = look && span ? endText(p, look.at - span.since, span, unit) : undefined;
  return `${g.name} (${thousands(p.reached)} of ${thousands(p.size)} planned candidate ${unit} (${shareText(p)})${end ? `; ${end}` : ''})`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The least a phase's exposure rate is projected from: 100 candidate exposures (a count's relative
 * error is about 1/√n: ±10%) and a tenth of the planned sample. A fixed hour left a busy A/B, near
 * its end in minutes, without a projection; a tenth of the way is past a metrics pipeline's first
 * minutes, whose lag reads the rate low. (A tenth of the cap adds nothing: a rate that has reached
 * less than a tenth of the sample in a tenth of the cap reaches it past the cap, said above.)
 */
const RATE_MIN_EXPOSURES = 100;
const RATE_MIN_SHARE = 0.1;

/** The share of the planned size reached, as every note says it (plannedShareText: rounded down). */
const shareText = (p: Progress): string => plannedShareText(p.reached, p.size);

/** When the phase is to end, after `ran` ms of it; undefined once the planned size is reached. */
function endText(p: Progress, ran: number, span: PhaseSpan, unit: ConversionUnit): string | undefined {
  if (p.reached >= p.size) return undefined;
  const cap = `cap: ${utcMinute(span.since + span.capMs)}`;
  // Past the cap is said from the first exposure, as a warning: the time it is reached waits for a rate.
  const needs = ran > 0 && p.reached > 0 ? (p.size / p.reached) * ran : Number.POSITIVE_INFINITY;
  if (Number.isFinite(needs) && needs > span.capMs) return pastCap(p, ran, needs, span.capMs);
  if (!(ran > 0 && p.reached >= RATE_MIN_EXPOSURES && p.reached >= RATE_MIN_SHARE * p.size))
    return `its end is projected once the phase has ${RATE_MIN_EXPOSURES} ${unit} and ${formatPercent(RATE_MIN_SHARE)} of the planned sample (${cap})`;
  // "Around": to the hour a day or more ahead, to 10 minutes an hour or more ahead, else to the
  // minute; never past the cap. "So far": traffic has a daily cycle, and a rate over part of a day is rough.
  const reachAt = span.since + needs;
  const ahead = needs - ran;
  const step = ahead >= DAY ? HOUR : ahead >= HOUR ? 10 * MINUTE : MINUTE;
  const around = Math.min(Math.ceil(reachAt / step) * step, span.since + span.capMs);
  return `at the rate so far the planned sample is reached around ${utcMinute(around)} (${cap})`;
}

/**
 * For a watching run's log, said once per phase: the A/B's conversion gates that, at the rate so
 * far, reach their planned sample only past its cap (the step-duration, or a longer hold), so the
 * run will most likely end there, undecided. Undefined when none do (or none has a rate yet).
 */
export function pastCapNote(release: Release, strategy: StrategyConfig): string | undefined {
  if (release.status !== 'analysing' || strategy.type !== 'ab') return undefined;
  const capMs = Math.max(strategy.stepDurationMs, phasesOf(strategy)[release.phase]?.holdMs ?? 0);
  const since = release.phaseStartedAt;
  const notes = release.gates.flatMap((g) => {
    if (g.kind !== 'conversion' || g.verdict !== 'pending') return [];
    const look = usableLook(g, since);
    const p = sampleProgress(look);
    if (!look || !p || p.reached >= p.size) return [];
    // Said once, so from a steadier rate than the reason's (which warns from the first exposure):
    // 100 exposures, over a tenth of the cap or an hour, whichever is shorter.
    const ran = look.at - since;
    if (p.reached < RATE_MIN_EXPOSURES || ran < Math.min(RATE_MIN_SHARE * capMs, HOUR)) return [];
    const needs = (p.size / p.reached) * ran;
    return needs > capMs ? [`${g.name}: ${pastCap(p, ran, needs, capMs)}`] : [];
  });
  if (notes.length === 0) return undefined;
  return `the A/B will likely run to its ${formatDuration(capMs)} cap (${utcMinute(since + capMs)}) and end there undecided: ${notes.join('; ')}`;
}

/**
 * `at 720/h it needs about 91d, past the 14d cap: …` when the planned size, at the rate of
 * candidate exposures over the `ran` ms so far, lies beyond the cap. A note, not a verdict: an
 * always-valid test may still stop early on a large effect.
 */
function pastCap(p: Progress, ran: number, needs: number, capMs: number): string {
  const perHour = (p.reached / ran) * HOUR;
  const rate = perHour >= 100 ? thousands(perHour) : String(Number(perHour.toPrecision(2)));
  return `at ${rate}/h it needs about ${roughly(needs, capMs)}, past the ${formatDuration(capMs)} cap: it can end early only on a large effect`;
}

/**
 * A projected time to two significant units at most (`91d`, `3d10h`, `5h30m`, `45m`), rounded up
 * when rounding would bring it down to the cap it is past.
 */
function roughly(ms: number, capMs: number): string {
  const step = ms >= 10 * DAY ? DAY : ms >= 10 * HOUR ? HOUR : ms >= 10 * MINUTE ? MINUTE : 1000;
  const rounded = Math.round(ms / step) * step;
  return formatDuration(rounded > capMs ? rounded : Math.ceil(ms / step) * step);
}

/**
 * Why an A/B whose undecided conversion gates all reached their planned sample fails: none found
 * what it looks for by the sample planned to find it. Without a margin that is a significant
 * winner; with one (non-inferiority) the test never looked for a winner: the candidate was not
 * shown within the margin. `configs` gives each gate's margin. `late`: how long the phase ran when
 * first judged well past its cap (`within 62d1h (deadline 14d)`), as a reader may wonder why.
 */
export function noWinnerReason(
  phase: string,
  gates: GateState[],
  looks: Map<GateState, Measurement | undefined>,
  configs: GateConfig[] = [],
  late?: string,
) {
  const sought = soughtBy(configs);
  const findings = new Set(gates.map(sought));
  // One finding for every gate heads the reason; gates that looked for different things say their own.
  const shared = findings.size === 1 ? [...findings][0] : undefined;
  const each = gates.map((g) => {
    const look = looks.get(g);
    const p = sampleProgress(look);
    const lift = look?.evidence?.effect;
    const own = shared === undefined ? `${sought(g)}: ` : '';
    return `${g.name} (${own}${p ? sampleText(p, unitIn(configs, g)) : 'no planned size'}${lift === undefined ? '' : `, lift ${signedPct(lift)}`})`;
  });
  return `${shared ?? 'undecided'} at the planned sample size${late ? ` ${late}` : ''} at ${phase}: ${each.join(', ')}`;
}

/**
 * What each conversion gate looked for and did not find, by its config's margin: without one a
 * significant winner; with one (non-inferiority) the test never looked for a winner, and the
 * candidate was not shown within the margin.
 */
const soughtBy = (configs: GateConfig[]) => (g: GateState) => {
  const c = configs.find((x) => x.name === g.name);
  return c?.kind === 'conversion' && c.margin > 0
    ? `not shown non-inferior (margin ${formatPercent(c.margin)})`
    : 'no significant winner';
};

/**
 * Why an A/B whose step-duration cap (`capMs`) came before its conversion gates' planned sample
 * fails: what they had not shown by the cap, how far toward the sample they got, and what to
 * change. A run on a failed commit does not run it again: a new push does. Undefined when no
 * conversion gate among the `unjudged` planned a sample (too few conversions): the looks' own
 * notes (`said`) say more. `late`: how long it ran when first judged well past the cap (`first
 * judged after 62d`): its counts cover all of it.
 */
export function cappedReason(
  phase: string,
  capMs: number,
  unjudged: GateState[],
  looks: Map<GateState, Measurement | undefined>,
  configs: GateConfig[],
  said: (g: GateState) => string,
  late?: string,
): string | undefined {
  const planned = unjudged.filter((g) => g.kind === 'conversion' && sampleProgress(looks.get(g)));
  if (planned.length === 0) return undefined;
  const sought = soughtBy(configs);
  const findings = new Set(planned.map(sought));
  const shared = findings.size === 1 ? [...findings][0] : undefined;
  const each = unjudged.map((g) => {
    const look = looks.get(g);
    const p = planned.includes(g) ? sampleProgress(look) : undefined;
    if (!p) return `${g.name} (${said(g)})`;
    const lift = look?.evidence?.effect;
    const own = shared === undefined ? `${sought(g)}, ` : '';
    return `${g.name} ${own}at ${shareText(p)} of its planned sample (${sampleText(p, unitIn(configs, g))}${lift === undefined ? '' : `, lift ${signedPct(lift)}`})`;
  });
  const cap = formatDuration(capMs);
  return `${shared ?? 'undecided'} by the ${cap} step-duration cap${late ? `, ${late},` : ''} at ${phase}: ${each.join(', ')}; ${CAP_FIX}${CAP_RUN_AGAIN}`;
}

/** What cappedReason advises changing before its A/B runs again: it holds after a merge too. */
const CAP_FIX = `raise step-duration (the default ${AB_STEP_DURATION_DEFAULT} lets schedule ticks drive the A/B to its planned sample)`;

/**
 * How long an A/B waits for a conversion gate's first counts before it ends as at a deadline. An
 * hour covers a metrics pipeline's lag and a quiet hour's first exposures; without it a wrong query
 * or a NaN (no counts, so no planned size) would keep half the users on an unjudged candidate until
 * the step-duration cap, 14d by default.
 */
export const NO_DATA_GRACE_MS = 60 * 60_000;

const finite = (x: number | undefined) => x !== undefined && Number.isFinite(x);
const counted = (m: Measurement | undefined) => m !== undefined && finite(m.canary) && finite(m.baseline);

/**
 * A conversion gate none of whose looks in the phase had counts on both arms (finite rates; an
 * arm with counts but too few conversions to judge has them). The state keeps only the last look,
 * the one before a query error, and the series of the looks' values (which holds only looks with a
 * value, thinned): those are the looks asked. A last look held back by `min-requests` never asked
 * the queries: too little traffic is not missing data.
 */
export function noConversionData(g: GateState, release: Release): boolean {
  const inPhase = (m: Measurement | undefined) => m !== undefined && m.at > release.phaseStartedAt;
  if ([g.last, g.lastUsable].some((m) => inPhase(m) && counted(m))) return false;
  // In the series' whole seconds: a look ms before the phase began, rounded up, would otherwise
  // count as the phase's.
  const since = seriesSecond(release.phaseStartedAt, release.startedAt);
  if (g.series?.some(([t, canary, baseline]) => t > since && canary !== null && baseline !== null))
    return false;
  return g.last?.verdict !== 'waiting' || !inPhase(g.last);
}

/**
 * Why an A/B whose conversion gates got no counts in its first hour fails, naming their queries;
 * or, for counts with more conversions than exposures, what the look found inconsistent.
 */
export function noDataReason(phase: string, gates: GateState[], configs: GateConfig[]): string {
  const within = formatDuration(NO_DATA_GRACE_MS);
  const each = gates.map((g) => {
    const c = configs.find((x) => x.name === g.name);
    const queries =
      c?.kind === 'conversion'
        ? `its conversions query "${c.conversions}" and exposures query "${c.exposures}"`
        : 'its conversions and exposures queries';
    const last = (g.last?.verdict === 'error' ? g.lastUsable : g.last) ?? g.last;
    // Counts that came back but cannot be rates: not "no data", which would send one looking for
    // a query that matches nothing.
    if (last?.note?.startsWith(OVER_COUNTED))
      return `${g.name} (its counts were inconsistent within ${within}: ${last.note})`;
    // An outage is no fault of the queries: not "check them".
    if (last?.verdict === 'error')
      return `${g.name} (its metric source did not answer within ${within}: ${last.note})`;
    return `${g.name} (${queries} returned no data for both arms within ${within}${last?.note ? `: ${last.note}` : ''}; check them)`;
  });
  return `no conclusive evidence within ${within} at ${phase}: ${each.join(', ')}`;
}
