import type { z } from 'zod';
import { abSplitText } from '../strategies/ab.js';
import { TARGET_TYPES, type TargetType, targetCapabilities } from '../targets/capabilities.js';
import { asRecord, finite, type Loose } from './fields.js';
import { formatPath } from './messages.js';
import { parsePercent } from './percent.js';
import { type Config, SANDBOX_COUNT_QUERIES, SIDE_BY_SIDE_KINDS } from './types.js';

/**
 * A strategy and gates that cannot work together: a gate that could never judge (the release
 * fails at its deadline whatever the candidate does) or one that would pass unjudged (a candidate
 * at 100% of traffic has no stable traffic beside it). Refused when the config is validated.
 * They read the input defensively: these checks run even when a sibling field is already wrong.
 */

type Path = (string | number)[];
type Ctx = z.core.$RefinementCtx;

const issue = (ctx: Ctx, path: Path, message: string, input?: unknown) =>
  ctx.addIssue({ code: 'custom', input, path, message });

/** A share of traffic as parsed (`100`) or, when a sibling field failed, as written (`"100%"`). */
function percentOf(value: unknown): number | undefined {
  if (finite(value)) return value;
  const fraction = typeof value === 'string' ? parsePercent(value) : undefined;
  return fraction === undefined ? undefined : fraction * 100;
}

/** A field of a strategy parsed (camelCase) or left as written (kebab-case) because a sibling failed. */
const field = (strategy: Loose, parsed: string, written: string) => strategy[parsed] ?? strategy[written];

/** An A/B compares the two arms' users: at a split of 100% no user is left on stable. */
export function checkAbSplit(strategy: Loose | undefined, path: Path, ctx: Ctx) {
  if (strategy?.type !== 'ab' || percentOf(strategy.split) !== 100) return;
  issue(
    ctx,
    [...path, 'split'],
    'expected less than 100: an A/B compares the users on the candidate with those on stable, and at 100% none are left on stable; use a split such as 50, or type: blue-green for an all-at-once switch',
    strategy.split,
  );
}

/**
 * The first phase at 100% of live traffic: no earlier phase judged the side-by-side gates and no
 * stable traffic runs beside the candidate now, so they could not judge at all.
 */
export function checkFirstPhaseFull(
  strategy: Loose | undefined,
  gates: unknown[],
  path: Path,
  gatesPath: Path,
  ctx: Ctx,
) {
  const full = firstPhaseFull(strategy);
  if (!full) return;
  const sideBySide = gates
    .map(asRecord)
    .filter((g) => SIDE_BY_SIDE_KINDS.some((k) => k === g?.kind))
    .map((g) => `${typeof g?.name === 'string' ? g.name : 'unnamed'} (${String(g?.kind)})`);
  if (sideBySide.length === 0) return;
  const gatesText = `${sideBySide.length === 1 ? 'the gate' : 'the gates'} ${sideBySide.join(', ')} in ${formatPath(gatesPath)}`;
  issue(
    ctx,
    [...path, ...full.at],
    `${full.what} gives the candidate all live traffic, so ${gatesText} would have no stable traffic to compare it with, and no earlier phase to judge them in; ${full.fix}, or for an all-at-once switch use type: blue-green with threshold gates`,
    full.value,
  );
}

function firstPhaseFull(strategy: Loose | undefined) {
  switch (strategy?.type) {
    case 'canary': {
      const first = Array.isArray(strategy.steps) ? strategy.steps[0] : undefined;
      if (percentOf(first) !== 100) return undefined;
      return {
        at: ['steps', 0],
        value: first,
        what: 'the first step',
        fix: 'start with a smaller step, e.g. steps: [10, 100]',
      };
    }
    case 'linear': {
      const size = field(strategy, 'stepSize', 'step-size');
      if (percentOf(size) !== 100) return undefined;
      return {
        at: ['step-size'],
        value: size,
        what: 'a step-size of 100',
        fix: 'use a smaller step-size, e.g. step-size: 25 with max-weight: 100',
      };
    }
    case 'rolling': {
      const batch = field(strategy, 'batchSize', 'batch-size');
      const instances = strategy.instances;
      if (!finite(batch) || !finite(instances) || batch < instances) return undefined;
      // One instance is always replaced whole: no batch-size is below it (the least is 1).
      if (instances <= 1)
        return {
          at: ['instances'],
          value: instances,
          what: 'replacing the only instance in the first batch',
          fix: 'raise instances to 2 or more with batch-size: 1',
        };
      return {
        at: ['batch-size'],
        value: batch,
        what: `replacing all ${instances} instances in the first batch`,
        fix: `use a batch-size below ${instances}`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * An A/B is decided by a conversion gate and checked by an srm gate (SPEC section 3; a split other
 * than the configured one invalidates the analysis, section 4): both required rather than added
 * unseen, so that every gate judged is one the config shows. Where the target splits users by a
 * key, an srm gate must count users (`units`): counting requests, a few heavy users move the
 * request split of a correct user split, and the gate would roll good A/Bs back as mismatched.
 * Where the target splits each request at random (sticky: per-request), requests are the
 * randomised unit. On the sandbox's metrics the conversion gate must count users too (see
 * checkConversionUnits).
 */
export function checkAbGates(
  strategy: Loose | undefined,
  gates: unknown[],
  metricsType: unknown,
  target: Loose | undefined,
  gatesPath: Path,
  ctx: Ctx,
) {
  if (strategy?.type !== 'ab') return;
  const kinds = gates.map((g) => asRecord(g)?.kind);
  const targetType = keyTarget(target);
  if (!kinds.includes('conversion')) {
    const queries =
      metricsType === 'sandbox' && targetType
        ? `, ${USER_CONVERSION_FIX}`
        : metricsType === 'sandbox' || metricsType === 'file'
          ? ''
          : `, conversions: <count query>, exposures: <count query>`;
    issue(
      ctx,
      gatesPath,
      `an ab strategy promotes only on a business outcome compared between the arms, which a conversion gate judges; add one, e.g. - { name: conversion, kind: conversion${queries} }`,
    );
  }
  const header = field(strategy, 'stickyHeader', 'sticky-header') ?? 'x-user-id';
  if (!kinds.includes('srm')) {
    issue(
      ctx,
      gatesPath,
      `an ab strategy's analysis holds only for the split the config sets: a split that drifted from it (the serving path giving the candidate more or less than its share) makes the comparison between the arms invalid, which an srm gate checks; add one, e.g. ${srmLine(target, targetType, metricsType, String(header))}`,
    );
  }
  if (!targetType) return;
  if (metricsType === 'sandbox') checkConversionUnits(gates, targetType, strategy, gatesPath, ctx);
  const split = percentOf(strategy.split) ?? 50;
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    if (gate?.kind !== 'srm' || gate.units !== undefined) return;
    issue(
      ctx,
      [...gatesPath, i, 'units'],
      `required on an A/B whose ${targetType} target splits users by ${String(header)}: without units the gate counts requests, and a few heavy users make a correct ${abSplitText(split)} user split read as a mismatch, so it would roll back good candidates; count the users per slot, ${unitsFix(metricsType)}`,
    );
  });
}

/** The srm gate an A/B lacks: counting users where the target splits them by a key, else requests. */
function srmLine(
  target: Loose | undefined,
  keyType: TargetType | undefined,
  metricsType: unknown,
  header: string,
) {
  if (keyType) {
    const note = metricsType === 'prometheus' ? `; ${PROMETHEUS_USERS_NOTE}` : '';
    return `- { name: split, kind: srm, units: ${usersCount(metricsType)} } (counting users, the unit the split by ${header} randomises${note})`;
  }
  const known = TARGET_TYPES.find((t) => t === target?.type);
  const why = known
    ? ` (counting requests, the unit the ${known} target randomises: it picks an arm for each request)`
    : '';
  return `- { name: split, kind: srm }${why}`;
}

/** A sandbox conversion gate that counts users, the unit a key split randomises. */
const USER_CONVERSION_FIX = 'exposures: exposed-users, conversions: converted-users';

const SANDBOX_KNOWN_COUNTS: readonly string[] = SANDBOX_COUNT_QUERIES;
/** The sandbox's counts of users each field may take; its others (the defaults among them) count requests. */
export const SANDBOX_USER_COUNTS: Record<'exposures' | 'conversions', readonly string[]> = {
  exposures: ['exposed-users', 'users'],
  conversions: ['converted-users'],
};

/**
 * A conversion gate counting requests on a key-split A/B with the sandbox's metrics: a user's
 * requests all land on one arm and share one propensity to convert, so they are not independent
 * trials, and the test's binomial variance per request is too small: in simulated A/As it failed a
 * healthy candidate, or called it a winner, in 16-35% of A/Bs at alpha 0.05. Refused, like an srm
 * gate without units; other sources' queries cannot be told apart (docs/judges.md says to count
 * users there).
 */
function checkConversionUnits(
  gates: unknown[],
  targetType: TargetType,
  strategy: Loose,
  gatesPath: Path,
  ctx: Ctx,
) {
  const header = field(strategy, 'stickyHeader', 'sticky-header') ?? 'x-user-id';
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    if (gate?.kind !== 'conversion') return;
    // Left out, a field is the sandbox's per-request default (conversions, exposures); a name the
    // sandbox does not know is refused by checkSandboxNames, with its own hint.
    const perRequest = (['exposures', 'conversions'] as const).find((name) => {
      const count = String(gate[name] ?? name);
      return SANDBOX_KNOWN_COUNTS.includes(count) && !SANDBOX_USER_COUNTS[name].includes(count);
    });
    if (!perRequest) return;
    const written = gate[perRequest] === undefined ? `the default, ${perRequest}` : String(gate[perRequest]);
    issue(
      ctx,
      [...gatesPath, i, perRequest],
      `counts requests (${written}), but this A/B's ${targetType} target splits users by ${String(header)}: a user's requests all land on one arm and convert alike, so they are not independent trials, and the test would fail a good candidate or call a winner by chance far more often than alpha; count users: ${USER_CONVERSION_FIX}`,
      gate[perRequest],
    );
  });
}

/** The target's type when it keeps each user on one arm by a sticky key (sandbox, http, command). */
function keyTarget(target: Loose | undefined): TargetType | undefined {
  const type = target?.type;
  if (!TARGET_TYPES.some((t) => t === type)) return undefined;
  const known = type as TargetType;
  return targetCapabilities(known).sticky === 'key' ? known : undefined;
}

/**
 * One line per srm gate counting `units` on an A/B whose target picks an arm for each request
 * (sagemaker, azureml, vertex, seldon): an active user reaches both arms, so the candidate's share
 * of users reads far above the split and the gate would roll back a correct one. A warning, not a
 * refusal: callers who pin each user to one arm (the target's `pin`) make units right. Beside
 * wholeServiceWarnings, for the same callers (validate, plan, the action).
 */
export function perRequestUnitsWarnings(config: Config, models = Object.keys(config.models)): string[] {
  return models.flatMap((name) => {
    const model = config.models[name];
    if (model?.strategy.type !== 'ab') return [];
    const { split, stickyHeader } = model.strategy;
    const caps = targetCapabilities(model.target.type);
    if (caps.sticky !== 'per-request') return [];
    const pin = caps.pin ? ` (${caps.pin})` : '';
    return model.gates.flatMap((gate, i) =>
      gate.kind === 'srm' && gate.units !== undefined
        ? [
            `${formatPath(['models', name, 'gates', i, 'units'])}: counts users, but the ${model.target.type} target picks an arm for each request, not for each user by ${stickyHeader}: an active user reaches both arms, so the candidate's share of users reads well above ${split}% and the gate would roll back a correct split; remove units to check the split of requests, or keep it only if your callers pin each user to one arm${pin}`,
          ]
        : [],
    );
  });
}

/** How to count distinct users per slot on the metric source. */
function unitsFix(metricsType: unknown): string {
  const units = `units: ${usersCount(metricsType)}`;
  return metricsType === 'prometheus' ? `e.g. ${units} (${PROMETHEUS_USERS_NOTE})` : units;
}

/** An srm gate's `units` counting the distinct users per slot on the metric source, as written in YAML. */
function usersCount(metricsType: unknown): string {
  if (metricsType === 'sandbox') return 'users';
  if (metricsType === 'prometheus') {
    return '\'count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0))\'';
  }
  return '<count query of the distinct users per slot>';
}

const PROMETHEUS_USERS_NOTE =
  'it needs a user label on the series; mind its cardinality, or count users where your events are logged';

/**
 * Gates the strategy gives no data to: an srm gate checks a split of live traffic, which a shadow
 * has none of; a conversion gate compares the outcomes of the callers each arm answered, and a
 * shadow answers none; an agreement gate (or a threshold gate on the sandbox's agreement query)
 * compares answers to the same requests, which only a shadow has.
 */
export function checkGatesForStrategy(
  strategy: Loose | undefined,
  gates: unknown[],
  metricsType: unknown,
  gatesPath: Path,
  ctx: Ctx,
) {
  const type = strategy?.type;
  if (typeof type !== 'string') return;
  const neverJudges = 'so it could never judge and the release would fail at its deadline';
  const sameRequests = `compares the candidate's answers with stable's to the same requests, which only a shadow gives both (the ${type} strategy sends each request to one version), ${neverJudges}`;
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    const kind = gate?.kind;
    if (kind === 'srm' && type === 'shadow') {
      issue(
        ctx,
        [...gatesPath, i, 'kind'],
        `an srm gate checks the candidate's share of live traffic, but a shadow gives it none (its answers reach no caller), ${neverJudges}; remove it`,
        kind,
      );
    }
    if (kind === 'conversion' && type === 'shadow') {
      issue(
        ctx,
        [...gatesPath, i, 'kind'],
        `a conversion gate compares a business outcome of the callers each arm answered, but a shadow's answers reach no caller, so the candidate has no conversions or exposures and the gate could never judge: the release would fail at its deadline; to compare a business outcome use type: ab, or remove it`,
        kind,
      );
    }
    if (kind === 'agreement' && type !== 'shadow') {
      issue(
        ctx,
        [...gatesPath, i, 'kind'],
        `an agreement gate ${sameRequests}; use type: shadow, or a threshold or ratio gate`,
        kind,
      );
    }
    if (
      kind === 'threshold' &&
      gate?.query === 'agreement' &&
      metricsType === 'sandbox' &&
      type !== 'shadow'
    ) {
      issue(
        ctx,
        [...gatesPath, i, 'query'],
        `the sandbox's agreement query ${sameRequests}; use type: shadow, or another query such as error-rate`,
        gate.query,
      );
    }
  });
}
