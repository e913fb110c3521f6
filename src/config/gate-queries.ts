import type { z } from 'zod';
import { NO_BUCKETS } from '../metrics/capabilities.js';
import { countQueryProblem } from '../metrics/count-query-checks.js';
import { fixedRangeProblem } from '../metrics/fixed-range.js';
import { queryProblem } from '../metrics/query-problem.js';
import { countQuery } from '../metrics/reduce.js';
import { templateProblem, templateVariables } from '../metrics/template.js';
import { asRecord, type Loose } from './fields.js';
import { formatPath } from './messages.js';
import { PROMETHEUS_REQUESTS_DEFAULT } from './metrics-schema.js';
import {
  type Config,
  type GateConfig,
  type MetricsConfig,
  type ModelConfig,
  SIDE_BY_SIDE_KINDS,
} from './types.js';

/**
 * Gate queries on a metric source that answers whatever query it is sent: one left to a sandbox
 * name, or one that does not pick out the arm, reads no data (rolled back at the deadline,
 * blaming the metrics) or the same numbers for candidate and stable (a bad candidate passes).
 * Exempt: the sandbox, which knows its names and slots, and the file source, which picks the
 * slot's entry itself and whose entries are written for it (the names are plain keys there).
 */

type Checked = 'prometheus' | 'datadog' | 'cloudwatch' | 'http-json';
const CHECKED: readonly string[] = ['prometheus', 'datadog', 'cloudwatch', 'http-json'] satisfies Checked[];

/** Query fields whose default is a name the sandbox source answers, by gate kind (and the drift watch). */
export const SANDBOX_NAMED = {
  agreement: { query: 'agreement' },
  latency: { buckets: 'latency' },
  drift: { buckets: 'scores' },
  conversion: { conversions: 'conversions', exposures: 'exposures' },
  'drift-watch': { buckets: 'scores' },
} as const;

/** What each of those fields is, and an example per source, for the message that asks for it. */
const NEEDED: Record<string, { what: string; example: Partial<Record<Checked, string>> }> = {
  'agreement.query': {
    what: "the share of the candidate's predictions identical to stable's, per slot",
    example: {
      prometheus:
        'sum(increase(shadow_identical_total{slot="{{slot}}"}[{{window}}])) / sum(increase(shadow_compared_total{slot="{{slot}}"}[{{window}}]))',
      datadog: 'avg:shadow.agreement{version:{{version}}}',
      cloudwatch: `SELECT AVG(Agreement) FROM SCHEMA("Models", Version) WHERE Version = '{{version}}'`,
      'http-json': 'stats.agreement',
    },
  },
  'latency.buckets': {
    what: 'the histogram query of the latency, per slot',
    example: {
      prometheus: 'sum by (le) (increase(latency_seconds_bucket{slot="{{slot}}"}[{{window}}]))',
      'http-json': 'stats.latency.buckets',
    },
  },
  'drift.buckets': {
    what: 'the histogram query of the predictions, per slot',
    example: {
      prometheus: 'sum by (le) (increase(prediction_score_bucket{slot="{{slot}}"}[{{window}}]))',
      'http-json': 'stats.scores.buckets',
    },
  },
  'drift-watch.buckets': {
    what: "the histogram query of the stable version's predictions",
    example: {
      prometheus: 'sum by (le) (increase(prediction_score_bucket{slot="{{slot}}"}[{{window}}]))',
      'http-json': 'stats.scores.buckets',
    },
  },
  'conversion.conversions': {
    what: 'the count query of the conversions, per slot',
    // A counter with no conversion yet matches no series, which is no data: the idiom writes 0.
    example: {
      prometheus: 'sum(increase(conversions_total{slot="{{slot}}"}[{{window}}])) or vector(0)',
      datadog: 'default_zero(sum:conversions{slot:{{slot}}}.as_count())',
      cloudwatch: `SELECT SUM(Conversions) FROM SCHEMA("Models", Slot) WHERE Slot = '{{slot}}'`,
      'http-json': 'stats.conversions',
    },
  },
  'conversion.exposures': {
    what: 'the count query of what the conversions are out of, per slot',
    example: {
      prometheus: 'sum(increase(exposures_total{slot="{{slot}}"}[{{window}}]))',
      datadog: 'sum:exposures{slot:{{slot}}}.as_count()',
      cloudwatch: `SELECT SUM(Exposures) FROM SCHEMA("Models", Slot) WHERE Slot = '{{slot}}'`,
      'http-json': 'stats.exposures',
    },
  },
};

/** The query fields of each gate kind; every one is read once per arm. */
const QUERIES: Record<string, readonly string[]> = {
  threshold: ['query'],
  agreement: ['query'],
  ratio: ['events', 'total'],
  latency: ['buckets'],
  drift: ['buckets'],
  conversion: ['conversions', 'exposures'],
  srm: ['units'],
};
const COUNTS = ['events', 'total', 'conversions', 'exposures', 'units'];
/** In a count query: the source's own request count (countQuery). */
const REQUESTS = 'requests';

/** How a query picks out one arm, on the sources whose queries are their own language. */
const ARM_HINT: Record<Exclude<Checked, 'http-json'>, string> = {
  prometheus: 'a label matcher such as slot="{{slot}}" or version="{{version}}"',
  datadog: 'a tag such as slot:{{slot}} or version:{{version}}',
  cloudwatch: 'a dimension such as {"Name": "VariantName", "Value": "{{name}}"}',
};
const SAME = 'the candidate and the stable version would read the same numbers';
const URL_EXAMPLE = 'https://metrics.example.com/{{model}}/{{slot}}';

// `{{name}}` is the version's name on the platform: one per version, as `{{version}}` is.
const namesArm = (text: string) =>
  templateVariables(text).some((v) => v === 'slot' || v === 'version' || v === 'name');
/** `${NAME}` still in a value: its variable is unset, which is reported on its own. */
const unresolved = (text: string) => /\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(text);

/**
 * Refuses those queries of a model's gates and drift watch, and any the source cannot read at all
 * (queryProblem), naming the field and what to write.
 */
export function checkSourceQueries(
  metrics: Loose | undefined,
  model: Loose,
  strategy: Loose | undefined,
  path: (string | number)[],
  ctx: z.core.$RefinementCtx,
) {
  const type = metrics?.type;
  if (!metrics || typeof type !== 'string') return;
  const source = type as Checked;
  const noBuckets = NO_BUCKETS[type as MetricsConfig['type']] !== undefined;
  const blueGreen = strategy?.type === 'blue-green';
  const issue = (at: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', input: undefined, path: [...path, ...at], message });
  const gates = Array.isArray(model.gates) ? model.gates : [];
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    const kind = gate?.kind;
    if (!gate || typeof kind !== 'string' || !QUERIES[kind]) return;
    // Refused already, for what the source or the strategy cannot do.
    if (noBuckets && (kind === 'latency' || kind === 'drift')) return;
    if (blueGreen && SIDE_BY_SIDE_KINDS.some((k) => k === kind)) return;
    for (const field of QUERIES[kind] ?? []) {
      const unusable = unusableQuery(type, gate[field]);
      if (unusable) {
        issue(['gates', i, field], unusable);
        continue;
      }
      const notCount = COUNTS.includes(field) ? notACount(type, gate[field]) : undefined;
      if (notCount) {
        issue(['gates', i, field], notCount);
        continue;
      }
      const fixed = fixedRange(type, field, gate[field]);
      if (fixed) {
        issue(['gates', i, field], fixed);
        continue;
      }
      if (!CHECKED.includes(type)) continue;
      const missing = sandboxDefaultLeftOut(source, kind, field, gate[field]);
      if (missing) {
        issue(['gates', i, field], missing);
        continue;
      }
      // A full switch compares the candidate with the stable version's values from before it.
      if (blueGreen) {
        const same =
          kind === 'threshold' && comparesArms(gate) ? sameUrlBothSides(metrics, gate[field]) : undefined;
        if (same) issue(['gates', i, field], same);
        continue;
      }
      // Absolute bounds only: a safeguard may read the whole service on purpose (checkout's 5xx).
      if ((kind === 'threshold' || kind === 'agreement') && !comparesArms(gate)) continue;
      const problem = armProblem(source, metrics, field, gate[field]);
      if (problem) issue(['gates', i, field], problem);
    }
  });
  const watch = asRecord(model['drift-watch']);
  const unusable = unusableQuery(type, watch?.buckets);
  const fixed = noBuckets ? undefined : fixedRange(type, 'buckets', watch?.buckets);
  if (unusable && !noBuckets) issue(['drift-watch', 'buckets'], unusable);
  else if (fixed) issue(['drift-watch', 'buckets'], fixed);
  else if (watch && !noBuckets) {
    const missing = CHECKED.includes(type)
      ? sandboxDefaultLeftOut(source, 'drift-watch', 'buckets', watch.buckets)
      : undefined;
    // Its two windows are both the stable version's, apart in time: no arm to pick, but the
    // source must tell the windows apart.
    const blind = missing ? undefined : driftWindowsBlind(metrics, watch.buckets);
    if (missing) issue(['drift-watch', 'buckets'], missing);
    else if (blind) issue(blind.at, blind.message);
  }
}

const TIMED_URL = 'https://metrics.example.com/{{model}}/{{slot}}?since={{since}}&until={{until}}';
const TIME_VARIABLES = ['since', 'until', 'window'];

/**
 * What of a window a URL or file path template states: its end (`{{until}}`, or `{{since}}` with
 * `{{window}}`), its start or length only (an endpoint answers up to now), or nothing of it.
 */
function windowStated(template: string): 'end' | 'start' | 'nothing' {
  const used = templateVariables(template);
  if (used.includes('until') || (used.includes('since') && used.includes('window'))) return 'end';
  return used.some((v) => TIME_VARIABLES.includes(v)) ? 'start' : 'nothing';
}

/** The URL a selector on http-json is fetched from: its own (`<url>#<selector>`) or the source's. */
function urlOf(metrics: Loose, query: unknown): { url: string; own: boolean } | undefined {
  if (typeof query === 'string' && /^https?:\/\//i.test(query)) {
    const hash = query.lastIndexOf('#');
    return { url: hash < 0 ? query : query.slice(0, hash), own: true };
  }
  return typeof metrics.url === 'string' ? { url: metrics.url, own: false } : undefined;
}

/**
 * Why a drift watch on a source without time of its own would read the same histogram for both
 * its windows (the reference, which ended `window` ago, and the recent one), or undefined. Both
 * alike, the watch says "no drift, PSI 0.000" at every tick whatever the predictions do.
 */
function driftWindowsBlind(
  metrics: Loose,
  buckets: unknown,
): { at: (string | number)[]; message: string } | undefined {
  const compares =
    "compares the stable version's recent predictions with the window before them, which ended in the past";
  if (metrics.type === 'file') {
    const path = metrics.path;
    if (typeof path !== 'string' || unresolved(path) || templateProblem(path)) return undefined;
    // JSONL lines carry their "time": each window reads the increase of their running totals over it.
    if (/\.(jsonl|ndjson)$/i.test(path) || windowStated(path) === 'end') return undefined;
    return {
      at: ['drift-watch'],
      message: `${compares}, but the file source's path (${path}) is a JSON document with no time in it, so both windows read the same histogram and the watch would find no drift whatever the predictions do; use a JSONL file whose lines carry "time" (metrics.path: scores.jsonl), a path naming {{since}} and {{until}}, or a source that keeps time (prometheus)`,
    };
  }
  if (metrics.type !== 'http-json') return undefined;
  const fetched = urlOf(metrics, buckets);
  if (!fetched || unresolved(fetched.url) || templateProblem(fetched.url)) return undefined;
  const stated = windowStated(fetched.url);
  if (stated === 'end') return undefined;
  const which = fetched.own ? 'the URL of drift-watch.buckets' : "the source's url (metrics.url)";
  const what =
    stated === 'nothing'
      ? 'names none of {{since}}, {{until}} and {{window}}, so both windows fetch the same answer and the watch would find no drift whatever the predictions do'
      : 'names no {{until}}, so the reference window, which ended in the past, would be read up to now, taking in the recent predictions it is compared with';
  return {
    at: fetched.own ? ['drift-watch', 'buckets'] : ['drift-watch'],
    message: `${compares}, but ${which} ${what}; put {{since}} and {{until}} in it (epoch seconds of the window's start and end), e.g. ${TIMED_URL}`,
  };
}

/**
 * On blue-green, a relative bound compares the candidate's window with the stable version's just
 * before the switch: on http-json, a URL naming neither the arm nor the time fetches one answer
 * for both, and the candidate is compared with itself (it always passes). Undefined otherwise.
 */
function sameUrlBothSides(metrics: Loose, query: unknown): string | undefined {
  if (metrics.type !== 'http-json') return undefined;
  const fetched = urlOf(metrics, query);
  if (!fetched || unresolved(fetched.url) || templateProblem(fetched.url)) return undefined;
  if (namesArm(fetched.url) || windowStated(fetched.url) !== 'nothing') return undefined;
  const which = fetched.own ? 'its URL' : "the source's url (metrics.url) it is read from";
  return `compares the candidate with the stable version just before the switch, but ${which} names neither the arm nor the time ({{slot}}, {{since}}, {{until}}), so both fetch the same answer and the candidate is compared with itself; put {{slot}}, or {{since}} and {{until}}, in it, e.g. ${TIMED_URL}`;
}

/** Why the source cannot read this query at all (its own parser, on sample values), or undefined. */
export function unusableQuery(source: string, value: unknown): string | undefined {
  // A template problem or an unset ${NAME} is reported on its own.
  if (typeof value !== 'string' || value === '' || templateProblem(value) || unresolved(value))
    return undefined;
  const problem = queryProblem(source, value);
  return problem && `the ${source} metrics source cannot read this query: ${problem}`;
}

/** Why a count field's query asks for a rate or an average instead of a count, or undefined. */
function notACount(source: string, value: unknown): string | undefined {
  // `requests` is the source's own request count; a template problem is reported on its own.
  if (typeof value !== 'string' || value === REQUESTS || templateProblem(value) || unresolved(value))
    return undefined;
  const problem = countQueryProblem(source, value);
  return problem && `is a count query on the ${source} metrics source, but ${problem}`;
}

/**
 * Why a PromQL count or bucket query reads a fixed range instead of the step so far
 * (fixedRangeProblem), or undefined. Threshold and agreement queries are not checked: a rate
 * over a fixed span can be meant there.
 */
function fixedRange(source: string, field: string, value: unknown): string | undefined {
  if (source !== 'prometheus' || !(COUNTS.includes(field) || field === 'buckets')) return undefined;
  if (typeof value !== 'string' || value === REQUESTS || templateProblem(value) || unresolved(value))
    return undefined;
  return fixedRangeProblem(value);
}

function sandboxDefaultLeftOut(source: Checked, kind: string, field: string, value: unknown) {
  const name = (SANDBOX_NAMED as Record<string, Record<string, string>>)[kind]?.[field];
  const needed = NEEDED[`${kind}.${field}`];
  if (value !== undefined || name === undefined || !needed) return undefined;
  const example = needed.example[source];
  return `required with the ${source} metrics source ("${name}" is the sandbox's name): ${needed.what}${example ? `, e.g. ${example}` : ''}`;
}

/**
 * A threshold gate whose query reads one service-wide series for both arms (accepted above as a
 * whole-service safeguard): its values are the service's, not the candidate's, and a small canary
 * barely moves them. Not with blue-green, where the candidate takes all live traffic.
 */
export function readsWholeService(
  gate: GateConfig,
  model: Pick<ModelConfig, 'metrics' | 'strategy'>,
): boolean {
  const source = model.metrics.type;
  if (gate.kind !== 'threshold' || !CHECKED.includes(source) || model.strategy.type === 'blue-green')
    return false;
  return armProblem(source as Checked, model.metrics as unknown as Loose, 'query', gate.query) !== undefined;
}

/** Where to pick the arm, for the warning about a whole-service gate. */
const ARM_FIX: Record<Checked, string> = {
  prometheus: `with ${ARM_HINT.prometheus}`,
  datadog: `with ${ARM_HINT.datadog}`,
  cloudwatch: `with ${ARM_HINT.cloudwatch}`,
  'http-json': `to the URL it is read from (the source's url, or its own: <url>#<selector>), e.g. ${URL_EXAMPLE}`,
};

/**
 * One line per whole-service threshold gate of the `models` given (default all): the field, why it
 * cannot judge the candidate and how to make it. A warning: such a safeguard is allowed.
 */
export function wholeServiceWarnings(config: Config, models = Object.keys(config.models)): string[] {
  return models.flatMap((name) => {
    const model = config.models[name];
    if (!model) return [];
    return model.gates.flatMap((gate, i) =>
      readsWholeService(gate, model)
        ? [
            `${formatPath(['models', name, 'gates', i, 'query'])}: reads one service-wide series for both arms, so its values are the whole service's, not the candidate's, and a small canary barely moves a service-wide rate (at 1% of traffic, a candidate failing half its requests adds 0.5 points); to compare the arms, add {{slot}} or {{version}} ${ARM_FIX[model.metrics.type as Checked]}`,
          ]
        : [],
    );
  });
}

/** A threshold compares the arms only through relative bounds. */
const comparesArms = (gate: Loose) => gate.maxIncrease !== undefined || gate.maxDecrease !== undefined;

/** Why this query would read the same numbers for both arms, or undefined. */
function armProblem(source: Checked, metrics: Loose, field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const written = value;
  if (templateProblem(written) || unresolved(written)) return undefined;
  // `requests` in a count field is the source's own request count (countQuery, at every look).
  const sourceRequests =
    typeof metrics.requests === 'string' ? metrics.requests : PROMETHEUS_REQUESTS_DEFAULT;
  const query = COUNTS.includes(field) ? countQuery(written, sourceRequests) : written;
  const fromRequests = query !== written;
  // A ratio gate's `total` left out is "requests" too.
  const how = `${field === 'total' ? 'left out or ' : ''}"${REQUESTS}", ${field} is`;
  if (source === 'http-json') return httpJsonArmProblem(metrics, written, fromRequests ? how : undefined);
  if (namesArm(query) || unresolved(query)) return undefined;
  const hint = ARM_HINT[source];
  if (!fromRequests) {
    return `names neither {{slot}} nor {{version}}, so on the ${source} metrics source ${SAME}; pick the arm with ${hint}`;
  }
  return `${how} the source's requests query (metrics.requests), which names neither {{slot}} nor {{version}}, so on the ${source} metrics source ${SAME}; pick the arm in metrics.requests with ${hint}, or write ${field}`;
}

/** On http-json the arm is in the URL fetched: the query's own (`<url>#<selector>`) or the source's. */
function httpJsonArmProblem(metrics: Loose, written: string, requests: string | undefined) {
  if (/^https?:\/\//i.test(written)) {
    const hash = written.lastIndexOf('#');
    if (namesArm(hash < 0 ? written : written.slice(0, hash))) return undefined;
    return `its URL names neither {{slot}} nor {{version}}, so on the http-json metrics source ${SAME}; put {{slot}} in it, e.g. ${URL_EXAMPLE}#stats.errors`;
  }
  const url = typeof metrics.url === 'string' ? metrics.url : '';
  if (namesArm(url) || unresolved(url)) return undefined;
  const what = requests ? `${requests} the source's requests selector, read` : 'a selector, read';
  return `${what} from the answer of the source's url, which names neither {{slot}} nor {{version}}, so on the http-json metrics source ${SAME}; put {{slot}} in that url (e.g. ${URL_EXAMPLE}) or give the query a URL of its own: <url naming {{slot}}>#<selector>`;
}
