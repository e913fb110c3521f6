import { z } from 'zod';
import { countQueryProblem } from '../metrics/count-query-checks.js';
import { fixedRangeProblem } from '../metrics/fixed-range.js';
import { queryProblem } from '../metrics/query-problem.js';
import { selectorProblem } from '../metrics/selector.js';
import { renderTemplate, TEMPLATE_VARIABLES, templateProblem } from '../metrics/template.js';
import {
  duration,
  httpHeaders,
  httpUrl,
  isHttpUrl,
  notOneLine,
  ONE_LINE,
  repoPath,
  servedModelName,
  strict,
  unknownVariant,
} from './fields.js';
import { describeValue } from './messages.js';
import type { MetricsReducer } from './types.js';

/**
 * A request count query that asks for a rate or an average instead (count-query-checks.ts): every
 * ratio would be judged against a wrong total, at every look.
 */
const refuseNonCount = (source: 'cloudwatch' | 'datadog') => (text: string, ctx: z.RefinementCtx) => {
  const problem = templateProblem(text) ? undefined : countQueryProblem(source, text);
  if (problem) ctx.addIssue({ code: 'custom', input: text, message: `is the request count, but ${problem}` });
};

// ── metric sources ──

/** The request count of one slot, as the sandbox exposes it to Prometheus. */
export const PROMETHEUS_REQUESTS_DEFAULT =
  'sum(increase(model_gate_requests_total{model="{{model}}",slot="{{slot}}",version="{{version}}"}[{{window}}]))';
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DATADOG_DEFAULT_SITE = 'datadoghq.com';

const VARIABLES = TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ');
/** Platforms name versions their own way (target.ts platformName): metrics carry that name. */
const NAME_VARIABLE =
  "{{name}}: the version as the target names it, e.g. the SageMaker variant fraud-v1-2 of v1.2 with variant: 'fraud-{{version}}'; the version itself on targets that name none";

/** A query template: only the known `{{variables}}`. */
function template(description: string) {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const problem = templateProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', input: text, message: problem });
    })
    .describe(`${description} Template variables: ${VARIABLES} (${NAME_VARIABLE}).`);
}

function selector(description: string) {
  return z
    .string()
    .superRefine((text, ctx) => {
      const problem = selectorProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', input: text, message: problem });
    })
    .describe(description);
}

const headers = httpHeaders(
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
  'HTTP headers sent with every request, e.g. { Authorization: "Bearer ${PROM_TOKEN}" }; values from "${NAME}" come from the environment and are masked.',
);

const timeout = duration('Longest a query may take before it counts as an error; default 10s.').optional();

const reducer = z
  .enum(['avg', 'sum', 'min', 'max', 'last'])
  .describe(
    "How the points of a gate's query over the window become one number (default avg); request counts are always summed.",
  );

const sandboxMetrics = strict({
  type: z.literal('sandbox').describe('The metrics of a `model-gate sandbox`.'),
  url: httpUrl,
  model: servedModelName.optional(),
}).describe('Metrics from a running `model-gate sandbox`.');

const prometheusMetrics = strict({
  type: z.literal('prometheus').describe('A Prometheus-compatible HTTP API, queried with PromQL.'),
  url: httpUrl,
  headers: headers.optional(),
  timeout,
  step: duration('Resolution of range queries; default: the window / 250, at least 1s.').optional(),
  requests: template(
    `PromQL of the request count of one slot over the window; default ${PROMETHEUS_REQUESTS_DEFAULT}.`,
  )
    .superRefine((text, ctx) => {
      // A count over a fixed range instead of the step so far reads the slot's previous version.
      const problem = templateProblem(text) ? undefined : fixedRangeProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', input: text, message: problem });
    })
    .optional(),
})
  .transform((m) => ({
    type: m.type,
    url: m.url,
    headers: m.headers ?? {},
    timeoutMs: m.timeout ?? DEFAULT_TIMEOUT_MS,
    ...(m.step === undefined ? {} : { stepMs: m.step }),
    requests: m.requests ?? PROMETHEUS_REQUESTS_DEFAULT,
  }))
  .describe('Prometheus (or Thanos, Mimir, VictoriaMetrics): gate queries are PromQL templates.');

const datadogSite = z
  .string()
  .regex(/^[a-z0-9]+(\.[a-z0-9-]+)+$/, {
    error: (issue) =>
      `expected a Datadog site such as "datadoghq.com" or "datadoghq.eu", got ${describeValue(issue.input)}`,
  })
  .superRefine((site, ctx) => {
    // The address of the web app (app.datadoghq.eu) or of the API is no site: the API is at api.<site>.
    const host = /^(app|api)\.(.+)$/.exec(site);
    if (host) {
      ctx.addIssue({
        code: 'custom',
        input: site,
        message: `"${site}" is the address of Datadog's ${host[1] === 'app' ? 'web app' : 'API'}, not its site: the API is read at api.<site>, so write site: ${host[2]} (drop "${host[1]}.")`,
      });
    }
  })
  .describe(
    'Datadog site: datadoghq.com (default), us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ddog-gov.com.',
  );

/**
 * A key sent in a header (Datadog's DD-API-KEY): one line, as every header value, or undici refuses
 * the request. Checked on the value from the environment (the schema reads the file interpolated);
 * a refinement, not a pattern, so the published JSON Schema still takes "${NAME}" as written.
 */
const secret = (description: string) =>
  z
    .string()
    .min(1)
    .refine((key) => ONE_LINE.test(key), { error: (issue) => notOneLine('a key', issue.input) })
    .describe(description);

const datadogMetrics = strict({
  type: z.literal('datadog').describe('The Datadog metrics query API (v1).'),
  site: datadogSite.optional(),
  url: httpUrl.optional().describe('API base URL instead of https://api.<site> (a proxy); not with site.'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
  'api-key': secret('Datadog API key: "${DD_API_KEY}" from a secret.'),
  'application-key': secret(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
    'Datadog application key (timeseries_query scope): "${DD_APP_KEY}" from a secret.',
  ),
  timeout,
  requests: template(
    'Datadog query of the request count of one slot (its points are summed), e.g. "sum:trace.http.request.hits{service:{{model}},version:{{version}}}.as_count()".',
  ).superRefine(refuseNonCount('datadog')),
  reducer: reducer.optional(),
})
  .superRefine((m, ctx) => {
    if (m.site !== undefined && m.url !== undefined) {
      ctx.addIssue({
        code: 'custom',
        input: m.url,
        path: ['url'],
        message: 'set either site or url, not both',
      });
    }
  })
  .transform((m) => ({
    type: m.type,
    url: m.url ?? `https://api.${m.site ?? DATADOG_DEFAULT_SITE}`,
    apiKey: m['api-key'],
    applicationKey: m['application-key'],
    timeoutMs: m.timeout ?? DEFAULT_TIMEOUT_MS,
    requests: m.requests,
    reducer: (m.reducer ?? 'avg') as MetricsReducer,
  }))
  .describe('Datadog: gate queries are metric query templates.');

const cloudwatchMetrics = strict({
  type: z.literal('cloudwatch').describe('Amazon CloudWatch through `aws cloudwatch get-metric-data`.'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, {
      error: (issue) => `expected an AWS region such as "us-east-1", got ${describeValue(issue.input)}`,
    })
    .optional()
    .describe("AWS region; default: the CLI's (AWS_REGION, the profile)."),
  profile: z
    .string()
    .regex(/^[A-Za-z0-9_.+=,@-]+$/, {
      error: (issue) => `expected an AWS profile name, got ${describeValue(issue.input)}`,
    })
    .optional()
    .describe('AWS CLI profile; default: the environment (e.g. from aws-actions/configure-aws-credentials).'),
  timeout,
  requests: template(
    'Request count of one slot: a JSON MetricDataQuery (or a list, one with ReturnData) or one expression; datapoints are summed.',
  ).superRefine((text, ctx) => {
    // What CloudWatch would refuse at every look, once the candidate is deployed.
    const problem = templateProblem(text) ? undefined : queryProblem('cloudwatch', text);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: `the cloudwatch metrics source cannot read this query: ${problem}`,
      });
    else refuseNonCount('cloudwatch')(text, ctx);
  }),
  reducer: reducer.optional(),
})
  .transform((m) => ({
    type: m.type,
    ...(m.region === undefined ? {} : { region: m.region }),
    ...(m.profile === undefined ? {} : { profile: m.profile }),
    timeoutMs: m.timeout ?? DEFAULT_TIMEOUT_MS,
    requests: m.requests,
    reducer: (m.reducer ?? 'avg') as MetricsReducer,
  }))
  .describe('CloudWatch: gate queries are MetricDataQuery JSON or expression templates.');

/** A URL template: an http(s) URL once sample values are filled in. */
const urlTemplate = template('URL of the JSON endpoint; template values are URL-encoded.').superRefine(
  (text, ctx) => {
    if (templateProblem(text)) return;
    const sample = renderTemplate(
      text,
      { slot: 'canary', model: 'model', version: 'v1', name: 'v1', window: '60s', since: '0', until: '60' },
      { quotes: {} },
      (v) => v,
    );
    if (!isHttpUrl(sample)) {
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: `expected an http:// or https:// URL, got ${describeValue(text)}`,
      });
    }
  },
);

const httpJsonMetrics = strict({
  type: z.literal('http-json').describe('Any JSON endpoint; gate queries are selectors into its answer.'),
  url: urlTemplate,
  headers: headers.optional(),
  timeout,
  requests: selector('Selector of the request count in the answer; default "requests".').optional(),
})
  .transform((m) => ({
    type: m.type,
    url: m.url,
    headers: m.headers ?? {},
    timeoutMs: m.timeout ?? DEFAULT_TIMEOUT_MS,
    requests: m.requests ?? 'requests',
  }))
  .describe('A JSON endpoint of your own: gate queries are selectors such as "data.error_rate".');

const fileMetrics = strict({
  type: z.literal('file').describe('A JSON or JSONL file of values per slot.'),
  path: repoPath(
    'JSON (.json) or JSONL (.jsonl) file, relative to the repository root; may use template variables.',
  ).superRefine((text, ctx) => {
    const problem = templateProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', input: text, message: problem });
  }),
  requests: selector('Selector of the request count in a slot\'s entry; default "requests".').optional(),
})
  .transform((m) => ({ type: m.type, path: m.path, requests: m.requests ?? 'requests' }))
  .describe('Values per slot from a file (offline checks, replays): gate queries are selectors.');

/** Metric sources. Add a variant here (and to types.ts) for a new `type:`. */
export const metricsSchema = z
  .discriminatedUnion(
    'type',
    [sandboxMetrics, prometheusMetrics, datadogMetrics, cloudwatchMetrics, httpJsonMetrics, fileMetrics],
    { error: unknownVariant('metrics type') },
  )
  .describe('Where the gates read live metrics.');
