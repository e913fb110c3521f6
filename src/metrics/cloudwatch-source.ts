/**
 * Metrics from Amazon CloudWatch through the AWS CLI: `aws cloudwatch get-metric-data`, run
 * with an argument array (never a shell), and killed when it outlives the timeout.
 *
 * Contract, from the AWS CLI reference for `get-metric-data`
 * (https://docs.aws.amazon.com/cli/latest/reference/cloudwatch/get-metric-data.html), the
 * CloudWatch API reference (GetMetricData, MetricDataQuery, MetricDataResult:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html) and
 * the CLI return codes (https://docs.aws.amazon.com/cli/latest/topic/return-codes.html):
 * - required `--metric-data-queries` (JSON list of MetricDataQuery: `Id` matching
 *   `^[a-z][a-zA-Z0-9_]*$`, and either `MetricStat {Metric {Namespace, MetricName, Dimensions
 *   [{Name, Value}]}, Period, Stat, Unit?}` or `Expression` (metric math or a Metrics Insights
 *   query) with `Period`; optional `Label`, `ReturnData`, `AccountId`; what
 *   CloudWatch refuses in them is in cloudwatch-query-checks.ts), `--start-time`,
 *   `--end-time` (ISO 8601; start is inclusive and rounded down to the minute for recent data,
 *   end is exclusive); optional `--next-token`, `--scan-by`, `--max-datapoints`.
 * - Output (`--output json`): `{"MetricDataResults": [{"Id", "Label", "Timestamps": [...],
 *   "Values": [...], "StatusCode": "Complete" | "InternalError" | "PartialData" | "Forbidden",
 *   "Messages"}], "NextToken"?, "Messages"}`; datapoints come newest first by default.
 * - Exit codes: 0 success, 252 bad arguments, 253 bad configuration or credentials, 254 the
 *   service refused (Throttling, AccessDenied, ...), 255 anything else.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import type { CloudWatchMetricsConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { MetricsError } from '../core/errors.js';
import { stoppingAll, stopWithAll } from '../targets/cli.js';
import { queriesProblem } from './cloudwatch-query-checks.js';
import { armName, matchedNothing } from './matched-nothing.js';
import { NoDataError } from './no-data.js';
import { countQuery, type Point, reducePoints, requestCount } from './reduce.js';
import { RefusedCredentialsError } from './refused-credentials.js';
import { showQuery, snippet } from './show-query.js';
import type { MetricSource, MetricWindow } from './source.js';
import { type Escaper, plainToken, renderTemplate, templateValues } from './template.js';

export interface CloudWatchOptions {
  /** The AWS CLI executable; default `aws` from PATH. */
  command?: string;
}

interface CliOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Pages of one answer read at most (a window of one slot rarely needs a second). */
const MAX_PAGES = 20;
/** The id given to a query written as a single expression. */
export const EXPRESSION_ID = 'modelgate';
/** Top-level messages of an answer CloudWatch cut short (MaxMetricsExceeded, ...): not all data. */
const LIMITED = /^Max[A-Za-z]*Exceeded$/;
/** Output kept from one CLI call; a window's answer is a few kB. */
const MAX_OUTPUT = 64 * 1024 * 1024;

const result = z.object({
  Id: z.string(),
  Label: z.string().optional(),
  Timestamps: z.array(z.union([z.string(), z.number()])).optional(),
  Values: z.array(z.number().nullable()).optional(),
  StatusCode: z.string().optional(),
  Messages: z.array(z.object({ Code: z.string().optional(), Value: z.string().optional() })).optional(),
});
const output = z.object({
  MetricDataResults: z.array(result),
  NextToken: z.string().nullable().optional(),
  Messages: z.array(z.object({ Code: z.string().optional(), Value: z.string().optional() })).optional(),
});

/** Inside a JSON string a value is JSON-escaped; anywhere else it must be a plain token. */
const escapeJson: Escaper = (value, quote, variable) =>
  quote === '"' ? JSON.stringify(value).slice(1, -1) : plainToken(value, variable);

type Query = Record<string, unknown>;

export interface RenderedQueries {
  queries: Query[];
  /** The id of the one query whose data is the answer. */
  resultId: string;
}

/**
 * A template is either a JSON MetricDataQuery (or a list of them, exactly one returning
 * data), or anything else: one expression (metric math or Metrics Insights SQL). A missing
 * `Period` is set to `periodSeconds`, so one datapoint covers the whole window; one written is
 * rounded up to a multiple of `stepSeconds` (periodStepSeconds), or CloudWatch answers no data.
 */
export function renderCloudWatch(
  template: string,
  w: MetricWindow,
  periodSeconds: number,
  stepSeconds = 1,
): RenderedQueries {
  const values = templateValues(w);
  const trimmed = template.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) {
    const expression = renderTemplate(trimmed, values, { quotes: {} }, (v, _q, name) => plainToken(v, name));
    return {
      queries: [{ Id: EXPRESSION_ID, Expression: expression, Period: periodSeconds, ReturnData: true }],
      resultId: EXPRESSION_ID,
    };
  }
  const text = renderTemplate(trimmed, values, { quotes: { '"': { backslash: true } } }, escapeJson);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MetricsError(
      `cloudwatch: the query is not valid JSON (${(err as Error).message}): ${showQuery(text)}; write one MetricDataQuery object, a list of them, or one expression (metric math or SELECT ...)`,
    );
  }
  const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((q, i) => {
    if (q === null || typeof q !== 'object' || Array.isArray(q)) {
      throw new MetricsError(`cloudwatch: query item ${i} is not a MetricDataQuery object`);
    }
  });
  const problem = queriesProblem(list as Query[]);
  if (problem) throw new MetricsError(`cloudwatch: ${problem}`);
  const queries: Query[] = list.map((q) => {
    const copy = structuredClone(q) as Query;
    const stat = copy.MetricStat as Query | undefined;
    const asked = (written: unknown) =>
      written === undefined ? periodSeconds : Math.ceil((written as number) / stepSeconds) * stepSeconds;
    if (stat && typeof stat === 'object') stat.Period = asked(stat.Period);
    if (copy.Expression !== undefined) copy.Period = asked(copy.Period);
    return copy;
  });
  const returning = queries.filter((q) => q.ReturnData !== false);
  if (returning.length !== 1) {
    throw new MetricsError(
      `cloudwatch: ${returning.length} queries return data, expected exactly one; ${returning.length === 0 ? 'leave "ReturnData": false out of the one whose data is the answer' : 'set "ReturnData": false on the others'}`,
    );
  }
  const id = (returning[0] as Query).Id;
  if (typeof id !== 'string') throw new MetricsError('cloudwatch: the query returning data has no "Id"');
  return { queries, resultId: id };
}

/**
 * `clock`: when a request reaches CloudWatch, which keeps a start's data at a step set by its age
 * then (a past window, the stable before a blue-green switch, is older than its length).
 */
export function cloudwatchSource(
  config: CloudWatchMetricsConfig,
  options: CloudWatchOptions = {},
  clock: Clock = systemClock,
): MetricSource {
  const command = options.command ?? 'aws';
  const cliTimeout = String(Math.max(1, Math.ceil(config.timeoutMs / 1000)));

  /**
   * The datapoints of the query's answer, oldest first; `partial` says why they are not all of
   * the window's (CloudWatch's own word for it), when they are not; `unasked`: the window holds
   * no whole step yet, so CloudWatch was not asked.
   */
  async function datapoints(
    template: string,
    w: MetricWindow,
  ): Promise<{ points: Point[]; partial: string | undefined; unasked?: true }> {
    const age = startAge(w, clock.now());
    const start = askedStart(w, age);
    if (start >= w.until) return { points: [], partial: undefined, unasked: true };
    const end = w.until;
    const step = resolutionMs(age);
    const period = (Math.ceil((end - start) / step) * step) / 1000;
    const { queries, resultId } = renderCloudWatch(
      template,
      { ...w, since: start },
      period,
      periodStepSeconds(age),
    );
    const points: Point[] = [];
    let partial: string | undefined;
    let limited: string | undefined;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const args = [
        'cloudwatch',
        'get-metric-data',
        '--metric-data-queries',
        JSON.stringify(queries),
        '--start-time',
        new Date(start).toISOString(),
        '--end-time',
        new Date(end).toISOString(),
        '--output',
        'json',
        // The CLI pages get-metric-data itself unless told not to, joining every page's results
        // (page 1's PartialData among them) with no NextToken (awscli customizations/paginate.py,
        // botocore PageIterator.build_full_result): the pages are read here instead.
        '--no-paginate',
        '--cli-connect-timeout',
        cliTimeout,
        '--cli-read-timeout',
        cliTimeout,
        ...(config.region ? ['--region', config.region] : []),
        ...(config.profile ? ['--profile', config.profile] : []),
        ...(nextToken ? ['--next-token', nextToken] : []),
      ];
      const out = output.safeParse(parseJson(await run(args)));
      if (!out.success)
        throw new MetricsError('cloudwatch: the aws CLI answered JSON of an unexpected shape');
      const mine = out.data.MetricDataResults.filter((r) => r.Id === resultId);
      for (const r of mine) {
        if (r.StatusCode === 'InternalError' || r.StatusCode === 'Forbidden') {
          const why = (r.Messages ?? []).map((m) => m.Value ?? m.Code).join('; ');
          // CloudWatch's own InternalError passes by itself; a Forbidden metric does not.
          throw new MetricsError(
            `cloudwatch: ${r.StatusCode} for query "${resultId}"${why ? ` (${why})` : ''}`,
            { passing: r.StatusCode === 'InternalError' },
          );
        }
        const ts = r.Timestamps ?? [];
        (r.Values ?? []).forEach((value, i) => {
          const at = timestamp(ts[i]);
          if (value !== null && at !== undefined) points.push({ at, value });
        });
      }
      nextToken = out.data.NextToken ?? undefined;
      // A page's own status: PartialData with a NextToken is followed by the rest. CloudWatch's
      // own messages on it (a Metrics Insights limit, ...) say why, so they are kept.
      const cut = mine.filter((r) => r.StatusCode === 'PartialData');
      const said = cut.flatMap((r) => (r.Messages ?? []).map((m) => m.Value ?? m.Code ?? ''));
      const saidText = snippet(said.filter((m) => m !== '').join('; '), 200);
      partial = cut.length === 0 ? undefined : saidText ? `PartialData: ${saidText}` : 'PartialData';
      limited ??= (out.data.Messages ?? []).find((m) => LIMITED.test(m.Code ?? ''))?.Code;
      if (!nextToken) break;
    }
    // A continuation still pending after the last page read leaves the data partial too.
    // So is an answer CloudWatch limited (as much of it done as it could).
    const why = limited
      ? `CloudWatch limited the answer: ${limited}`
      : partial !== undefined
        ? partial
        : nextToken !== undefined
          ? `more than ${MAX_PAGES} pages; not all were read`
          : undefined;
    return { points: points.sort((a, b) => a.at - b.at), partial: why };
  }

  async function run(args: string[]): Promise<string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.AWS_PAGER = ''; // never wait on a pager
    const res = await runCli(command, args, env, config.timeoutMs);
    if (res.exitCode !== 0) throw cliError(res);
    return res.stdout;
  }

  /**
   * The datapoints summed (with `"Stat": "Sum"`, the window's count). Partial data and no
   * datapoints are a NoDataError naming the query and the arm (inconclusive, never a count that
   * could pass a gate or min-requests wrongly).
   */
  async function count(template: string, w: MetricWindow): Promise<number> {
    const what = template === config.requests ? 'the requests query' : 'the count query';
    const { points, partial, unasked } = await datapoints(template, w);
    if (partial) throw partialData(what, w, partial, template);
    const total = reducePoints(points, 'sum');
    if (total !== undefined) {
      return requestCount(total, {
        named: `cloudwatch: ${what}`,
        shownQuery: showQuery(template),
        fractionAdvice: 'count with "Stat": "Sum" (or "SampleCount") of a count metric, or SELECT SUM(...)',
      });
    }
    // A window without a whole minute yet was not asked (datapoints): nothing in it, 0.
    if (unasked) return 0;
    // No datapoints is no data, not 0: a misspelt metric or dimension has none either.
    const advice =
      what === 'the requests query'
        ? 'check its namespace, metric name and dimensions (metrics.requests)'
        : 'check its namespace, metric name and dimensions; if zero is meant, return FILL(m, 0) of the metric m with metric math';
    throw matchedNothing('cloudwatch', what, w, advice, showQuery(template));
  }

  return {
    async value(template, w) {
      const { points, partial } = await datapoints(template, w);
      // Partial data is not the window's value: inconclusive, saying so (undefined read as
      // "no data for the candidate", which sent users looking for a misspelt metric).
      if (partial) throw partialData('the query', w, partial, template);
      return reducePoints(points, config.reducer);
    },
    requests(w) {
      return count(config.requests, w);
    },
    count(template, w) {
      return count(countQuery(template, config.requests), w);
    },
  };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/**
 * Taken a little early: CloudWatch measures a start's age when the request arrives, after the
 * clock is read (the CLI starting, its retries); the coarser step is a multiple of the finer one,
 * so it is never refused.
 */
const TIER_MARGIN = 60 * MINUTE;

/**
 * How old a window's start is when CloudWatch gets the request, in ms (less the margin): measured
 * at now, not at the window's end. A phase's window ends now, but a past one (a blue-green
 * baseline, a drift reference) does not: a start 16 days ago is 16 days old whatever the window's
 * length. The window's end is a floor, for a clock behind it.
 */
function startAge(w: MetricWindow, now: number): number {
  return Math.max(now, w.until) - w.since + TIER_MARGIN;
}

/**
 * The step CloudWatch keeps data at for a start of that age, in ms: a Period not a multiple of it
 * answers no datapoints at all, and the start is rounded down to it (MetricStat.Period and
 * GetMetricData StartTime in the CloudWatch API reference,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html: a start
 * under 15 days old, 60 s; 15 to 63 days, 300 s; older, 3600 s).
 */
function resolutionMs(age: number): number {
  return age >= 63 * DAY ? 60 * MINUTE : age >= 15 * DAY ? 5 * MINUTE : MINUTE;
}

/**
 * What a Period the query writes must be a multiple of, in s, for CloudWatch to answer data: any
 * for a start under 3 hours old (a high-resolution 10 s), else the step it keeps the data at
 * (resolutionMs). A query's `"Period": 60` on a phase begun 20 days ago is asked as 300.
 */
function periodStepSeconds(age: number): number {
  return age > 3 * 60 * MINUTE ? resolutionMs(age) / 1000 : 1;
}

/**
 * Where a window is asked from. CloudWatch rounds a start down to its step, which would count
 * data from before the window (a phase's window: the previous traffic split). Start at the next
 * whole step instead: the partial first step is left out (at most an hour of a window over 63
 * days), and until a whole minute has begun the window is empty (no data, inconclusive). One
 * period from the start covers the window.
 */
function askedStart(w: MetricWindow, age: number): number {
  const step = resolutionMs(age);
  return Math.ceil(w.since / step) * step;
}

/**
 * CloudWatch answered only part of the window's data: no data (an inconclusive look, never a
 * value or count that could pass), saying so, why (CloudWatch's words) and what to do.
 */
function partialData(what: string, w: MetricWindow, why: string, template: string): NoDataError {
  return new NoDataError(
    `cloudwatch: ${what} returned partial data for ${armName(w)} (${why}), not used: ${showQuery(template)}; the look is inconclusive and the next one asks again; if every look is partial, narrow the query (fewer metrics or series)`,
  );
}

/** Process groups exist on POSIX only; elsewhere the CLI itself is killed. */
const GROUPS = process.platform !== 'win32';

/**
 * Runs the CLI without a shell. On the deadline it is killed with everything it started (its
 * own process group; SIGKILL, since a hung CLI may ignore a polite signal), and the call fails
 * once they are gone: no look leaves a process behind. A run being stopped (a cancelled job, a
 * second Ctrl-C) stops it too, with the platform commands (stopAll); from then on the call never
 * settles and no other starts: the process is on its way out.
 */
function runCli(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CliOutput> {
  if (stoppingAll()) return new Promise(() => {});
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, detached: GROUPS, windowsHide: true, stdio: 'pipe' });
    stopWithAll(child);
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    let failure: MetricsError | undefined;
    const stop = (why: MetricsError) => {
      failure ??= why;
      try {
        if (GROUPS && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(
      () =>
        stop(
          new MetricsError(
            `cloudwatch: aws cloudwatch get-metric-data did not finish within ${formatDuration(timeoutMs)} (timeout); it was stopped`,
            { passing: true },
          ),
        ),
      timeoutMs,
    );
    const collect = (add: (text: string) => void) => (chunk: string) => {
      add(chunk);
      if (stdout.length + stderr.length > MAX_OUTPUT) {
        stop(new MetricsError('cloudwatch: the aws CLI printed more than 64 MB; narrow the query'));
      }
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on(
      'data',
      collect((t) => {
        stdout += t;
      }),
    );
    child.stderr.on(
      'data',
      collect((t) => {
        stderr += t;
      }),
    );
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (stoppingAll()) return;
      reject(
        new MetricsError(
          `cloudwatch: cannot run the AWS CLI "${command}" (${err.code ?? err.message.split('\n')[0]}); install AWS CLI v2 (preinstalled on GitHub-hosted runners) and configure credentials, e.g. with aws-actions/configure-aws-credentials`,
        ),
      );
    });
    // 'close': the process has exited (and been reaped) and its output is complete.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (stoppingAll()) return;
      if (failure) return reject(failure);
      if (code === null) return reject(new MetricsError(`cloudwatch: the aws CLI was killed by ${signal}`));
      resolve({ exitCode: code, stdout, stderr });
    });
  });
}

function parseJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new MetricsError(
      `cloudwatch: the aws CLI did not answer JSON (${snippet(stdout, 120) || 'no output'})`,
    );
  }
}

/** CLI timestamps: ISO 8601 text (the default) or epoch seconds (cli_timestamp_format = wire). */
function timestamp(t: string | number | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** AWS error codes for credentials it no longer accepts (an expired session, a deleted or unknown key). */
const REFUSED_CODES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

/**
 * AWS error codes for CloudWatch's own trouble (HTTP 500 / 503, after the CLI's retries): like
 * throttling, they pass by themselves. InternalServiceFault is CloudWatch's, InternalFailure and
 * ServiceUnavailable the errors common to every AWS API.
 */
const SERVICE_FAULTS = new Set(['InternalServiceFault', 'InternalFailure', 'ServiceUnavailable']);

/**
 * botocore's words (exceptions.py, the same in AWS CLI v1 and v2, exit 255) for a request that got
 * no answer: no connection (a DNS failure, a refused port), a connect or read timeout, a connection
 * closed mid-answer, an unreachable proxy. A network outage passes by itself, as Prometheus's does.
 */
const UNREACHED =
  /Could not connect to the endpoint URL|Connect timeout on endpoint URL|Read timeout on endpoint URL|Connection was closed before we received a valid response|Failed to connect to proxy URL|An HTTP Client (?:raised an unhandled exception|failed to establish a connection)|An error occurred while reading from response stream/;

/**
 * An error code that is a bare HTTP status (`An error occurred (502)`): botocore's when the answer
 * had no AWS error in it (a gateway or proxy's page, an overloaded front end). 429 and 5xx pass.
 */
const PASSING_STATUS = /^(?:429|5\d\d)$/;

function cliError(res: CliOutput): MetricsError {
  const stderr = res.stderr.trim();
  const detail =
    snippet(
      stderr
        .split('\n')
        .filter((l) => l.trim() !== '')
        .at(-1) ?? '',
      300,
    ) || 'no message';
  const code = /An error occurred \(([A-Za-z0-9.]+)\)/.exec(stderr)?.[1];
  if (code === 'Throttling' || code === 'ThrottlingException' || code === 'TooManyRequestsException') {
    return new MetricsError(
      `cloudwatch: throttled by CloudWatch (${detail}); lengthen the strategy's interval`,
      { passing: true },
    );
  }
  if (code && SERVICE_FAULTS.has(code)) {
    return new MetricsError(
      `cloudwatch: CloudWatch could not answer (${detail}); a fault on AWS's side that passes by itself: if it keeps happening, check the AWS Health Dashboard for CloudWatch in this region`,
      { passing: true },
    );
  }
  if (code && PASSING_STATUS.test(code)) {
    return new MetricsError(
      `cloudwatch: CloudWatch, or a proxy in between, answered HTTP ${code} (${detail}); it passes by itself: if it keeps happening, check the network and any proxy between the runner and AWS, and the AWS Health Dashboard for CloudWatch in this region`,
      { passing: true },
    );
  }
  if (!code && UNREACHED.test(stderr)) {
    return new MetricsError(
      `cloudwatch: cannot reach CloudWatch (${detail}); check the region (a misspelt one has no endpoint), the runner's network and any proxy (HTTPS_PROXY) between it and AWS`,
      { passing: true },
    );
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    return new RefusedCredentialsError(
      `cloudwatch: access denied (${detail}); the role needs cloudwatch:GetMetricData`,
      code,
    );
  }
  if (code && REFUSED_CODES.has(code)) {
    return new RefusedCredentialsError(
      `cloudwatch: AWS refused the credentials (${detail}); check the credentials the job's aws CLI uses (an expired session or a deleted key): renew them, or give the job a role session that lasts the release`,
      code,
    );
  }
  switch (res.exitCode) {
    case 252:
      return new MetricsError(`cloudwatch: the aws CLI refused the arguments (exit 252): ${detail}`);
    case 253:
      return new MetricsError(
        `cloudwatch: the AWS CLI configuration or credentials are missing or invalid (exit 253): ${detail}`,
      );
    case 254:
      return new MetricsError(
        `cloudwatch: CloudWatch refused the request${code ? ` (${code})` : ''}: ${detail}`,
      );
    default:
      return new MetricsError(`cloudwatch: aws exited with ${res.exitCode}: ${detail}`);
  }
}
