/**
 * A stand-in `aws` executable for `aws cloudwatch get-metric-data`, written into a temp dir
 * that tests put first on PATH. It follows the AWS CLI's documented syntax and failures:
 * - options and values as the CLI reference lists them (global: --output, --region, --profile,
 *   --cli-read-timeout, --cli-connect-timeout, --endpoint-url, --no-cli-pager, --debug;
 *   command: --metric-data-queries, --start-time, --end-time, --next-token, --scan-by,
 *   --max-datapoints, --label-options); anything else, a missing required option or a value
 *   that does not parse exits 252 with the CLI's usage message, as the real one does;
 * - the client-side parameter validation of MetricDataQuery (unknown or missing keys, wrong
 *   types: exit 252) and the service's (Id syntax, one of MetricStat / Expression, Period
 *   1/5/10/20/30 or a multiple of 60, StartTime before EndTime: exit 254, ValidationError);
 * - the age rule of MetricStat.Period and StartTime (CloudWatch API reference): for a start more
 *   than 3 hours old the period must be a multiple of 60 s (under 15 days), 300 s (15 to 63 days)
 *   or 3600 s (older), "or no data points ... is returned": such a query answers none, Complete;
 *   the start is rounded down to that step. The age is taken at the request's EndTime (a look
 *   asks up to now), or at `now` in the state;
 * - it answers `--output json` only (the adapter always asks for it);
 * - data: MetricStat queries aggregate stored raw points per period from the start rounded
 *   down to the minute (Sum, Average, Minimum, Maximum, SampleCount); math expressions over
 *   query ids (+ - * / and parentheses); Metrics Insights queries (SELECT ...) answer canned
 *   points; results newest first unless --scan-by TimestampAscending.
 * The state file (FAKE_AWS_STATE) holds the stored metrics and a mode that makes it misbehave:
 * throttle, denied, nocreds, hang, partial, internal, fault, unavailable, paginate, limited,
 * unreachable, connect-timeout, read-timeout, closed, gateway. Every call's argument list is
 * appended as a JSON line to FAKE_AWS_LOG.
 * - paginate: CloudWatch answers in two pages (page 1 PartialData with a NextToken, page 2
 *   Complete). As the real CLI (awscli/customizations/paginate.py, botocore's PageIterator
 *   build_full_result): given --no-paginate or --next-token it prints the one page asked for, with
 *   its NextToken; otherwise it reads every page itself and prints their MetricDataResults (and
 *   Messages) joined in one list, page 1's PartialData entry among them, and no NextToken.
 * - limited: a Complete answer with the top-level message CloudWatch adds when it did only part of
 *   the request (MaxMetricsExceeded).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';

export interface StoredMetric {
  Namespace: string;
  MetricName: string;
  Dimensions: Record<string, string>;
  /** [epoch seconds, value] raw observations. */
  points: [number, number][];
}

export type AwsMode =
  | 'ok'
  | 'throttle'
  | 'denied'
  | 'nocreds'
  | 'hang'
  | 'partial'
  | 'internal'
  /** GetMetricData refused with CloudWatch's own HTTP 500 (InternalServiceFault), exit 254. */
  | 'fault'
  /** GetMetricData refused with the HTTP 503 common to AWS APIs (ServiceUnavailable), exit 254. */
  | 'unavailable'
  | 'paginate'
  | 'limited'
  /** No connection to the endpoint (a DNS failure, a refused port), after the CLI's retries: exit 255. */
  | 'unreachable'
  /** No connection within --cli-connect-timeout: exit 255. */
  | 'connect-timeout'
  /** No answer within --cli-read-timeout: exit 255. */
  | 'read-timeout'
  /** The connection closed before an answer: exit 255. */
  | 'closed'
  /** A gateway's HTTP 502 page, no AWS error in it: botocore names the status as the code, exit 254. */
  | 'gateway';

export interface AwsState {
  mode: AwsMode;
  metrics: StoredMetric[];
  /** Metrics Insights query text -> [epoch seconds, value] points. */
  insights?: Record<string, [number, number][]>;
  /**
   * Epoch seconds CloudWatch receives the request at, for the age of its start; default its
   * EndTime, which is now only for a window ending now: set it for a past window (a baseline).
   */
  now?: number;
}

export interface FakeAws {
  binDir: string;
  env: { FAKE_AWS_STATE: string; FAKE_AWS_LOG: string };
  setState(state: AwsState): Promise<void>;
  /** The argument lists of every call so far. */
  calls(): Promise<string[][]>;
}

export async function installFakeAws(dir: string, state: AwsState): Promise<FakeAws> {
  const binDir = join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const script = join(binDir, 'aws');
  await writeFile(script, `#!${process.execPath}\n${SCRIPT}`);
  await chmod(script, 0o755);
  const env = { FAKE_AWS_STATE: join(dir, 'aws-state.json'), FAKE_AWS_LOG: join(dir, 'aws-calls.jsonl') };
  await writeFile(env.FAKE_AWS_LOG, '');
  const setState = (s: AwsState) => writeFile(env.FAKE_AWS_STATE, JSON.stringify(s));
  await setState(state);
  return {
    binDir,
    env,
    setState,
    calls: async () =>
      (await readFile(env.FAKE_AWS_LOG, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as string[]),
  };
}

const SCRIPT = String.raw`'use strict';
const fs = require('node:fs');
const args = process.argv.slice(2);
if (process.env.FAKE_AWS_LOG) fs.appendFileSync(process.env.FAKE_AWS_LOG, JSON.stringify(args) + '\n');
const state = JSON.parse(fs.readFileSync(process.env.FAKE_AWS_STATE, 'utf8'));

function usage(message) {
  process.stderr.write('\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n' +
    'To see help text, you can run:\n\n  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n\n' +
    'aws: error: ' + message + '\n');
  process.exit(252);
}
function validation(lines) {
  process.stderr.write('\nParameter validation failed:\n' + lines.join('\n') + '\n');
  process.exit(252);
}
function serviceError(code, message) {
  process.stderr.write('\nAn error occurred (' + code + ') when calling the GetMetricData operation: ' + message + '\n');
  process.exit(254);
}

const OPTIONS = {
  '--output': 'value', '--region': 'value', '--profile': 'value', '--endpoint-url': 'value',
  '--cli-read-timeout': 'int', '--cli-connect-timeout': 'int',
  '--no-cli-pager': 'flag', '--debug': 'flag', '--no-paginate': 'flag', '--no-verify-ssl': 'flag',
  '--metric-data-queries': 'value', '--start-time': 'value', '--end-time': 'value', '--next-token': 'value',
  '--scan-by': 'value', '--max-datapoints': 'int', '--label-options': 'value',
};
const opts = {};
const positional = [];
const unknown = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (!a.startsWith('--')) { positional.push(a); continue; }
  const kind = OPTIONS[a];
  if (kind === undefined) { unknown.push(a); continue; }
  if (kind === 'flag') { opts[a] = true; continue; }
  const value = args[i + 1];
  if (value === undefined) usage('argument ' + a + ': expected one argument');
  if (kind === 'int' && !/^\d+$/.test(value)) usage('argument ' + a + ": invalid int value: '" + value + "'");
  opts[a] = value;
  i++;
}
if (positional[0] !== 'cloudwatch') usage('argument command: Invalid choice: ' + JSON.stringify(positional[0] || ''));
if (positional[1] !== 'get-metric-data') usage('argument operation: Invalid choice, valid choices are: ... get-metric-data ...');
unknown.push(...positional.slice(2));
if (unknown.length > 0) usage('Unknown options: ' + unknown.join(', '));
const missing = ['--metric-data-queries', '--start-time', '--end-time'].filter((o) => opts[o] === undefined);
if (missing.length > 0) usage('the following arguments are required: ' + missing.join(', '));
const output = opts['--output'];
if (output !== undefined && !['json', 'text', 'table', 'yaml', 'yaml-stream'].includes(output)) {
  usage("argument --output: Invalid choice, valid choices are:\n\njson | text\ntable | yaml\nyaml-stream");
}
if (output !== 'json') usage('this stand-in answers --output json only');
const scanBy = opts['--scan-by'] || 'TimestampDescending';
if (!['TimestampDescending', 'TimestampAscending'].includes(scanBy)) {
  validation(['Invalid value for parameter ScanBy, value: ' + scanBy]);
}

function timestamp(name, text) {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms)) usage('argument ' + name + ": Invalid timestamp value: '" + text + "'");
  return ms / 1000;
}
const start = timestamp('--start-time', opts['--start-time']);
const end = timestamp('--end-time', opts['--end-time']);

let queries;
try {
  queries = JSON.parse(opts['--metric-data-queries']);
} catch (e) {
  usage("Error parsing parameter '--metric-data-queries': Invalid JSON: " + e.message);
}

// Client-side validation, as botocore does it.
const problems = [];
const shape = {
  query: { keys: ['Id', 'MetricStat', 'Expression', 'Label', 'ReturnData', 'Period', 'AccountId'], required: ['Id'] },
  stat: { keys: ['Metric', 'Period', 'Stat', 'Unit'], required: ['Metric', 'Period', 'Stat'] },
  metric: { keys: ['Namespace', 'MetricName', 'Dimensions'], required: [] },
  dimension: { keys: ['Name', 'Value'], required: ['Name', 'Value'] },
};
const types = { Id: 'string', Expression: 'string', Label: 'string', AccountId: 'string', ReturnData: 'boolean',
  Period: 'integer', Stat: 'string', Unit: 'string', Namespace: 'string', MetricName: 'string', Name: 'string', Value: 'string' };
function check(value, kind, path) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('Invalid type for parameter ' + path + ', value: ' + JSON.stringify(value) + ", type: <class 'str'>, valid types: <class 'dict'>");
    return;
  }
  for (const key of Object.keys(value)) {
    if (!shape[kind].keys.includes(key)) {
      problems.push('Unknown parameter in ' + path + ': "' + key + '", must be one of: ' + shape[kind].keys.join(', '));
      continue;
    }
    const t = types[key];
    const v = value[key];
    if (t === 'integer' ? !Number.isInteger(v) : t !== undefined && typeof v !== t) {
      problems.push('Invalid type for parameter ' + path + '.' + key + ', value: ' + JSON.stringify(v) + ', valid types: ' + t);
    }
  }
  for (const key of shape[kind].required) {
    if (value[key] === undefined) problems.push('Missing required parameter in ' + path + ': "' + key + '"');
  }
  if (kind === 'query' && value.MetricStat !== undefined) check(value.MetricStat, 'stat', path + '.MetricStat');
  if (kind === 'stat' && value.Metric !== undefined) check(value.Metric, 'metric', path + '.Metric');
  if (kind === 'metric' && value.Dimensions !== undefined) {
    if (!Array.isArray(value.Dimensions)) problems.push('Invalid type for parameter ' + path + '.Dimensions, valid types: list');
    else value.Dimensions.forEach((d, i) => check(d, 'dimension', path + '.Dimensions[' + i + ']'));
  }
}
if (!Array.isArray(queries)) problems.push("Invalid type for parameter MetricDataQueries, valid types: <class 'list'>, <class 'tuple'>");
else queries.forEach((q, i) => check(q, 'query', 'MetricDataQueries[' + i + ']'));
if (problems.length > 0) validation(problems);

// Service-side validation.
if (queries.length < 1 || queries.length > 500) serviceError('ValidationError', 'MetricDataQueries must hold 1 to 500 items.');
const ids = new Set();
queries.forEach((q, i) => {
  const member = 'MetricDataQueries.member.' + (i + 1);
  if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) serviceError('ValidationError', 'The value ' + q.Id + ' for parameter ' + member + '.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.');
  if (ids.has(q.Id)) serviceError('ValidationError', 'The value ' + q.Id + ' for parameter ' + member + '.Id is not unique.');
  ids.add(q.Id);
  if ((q.MetricStat === undefined) === (q.Expression === undefined)) serviceError('ValidationError', 'Exactly one element of the metricStat or the expression must be set in ' + member + '.');
  const period = q.MetricStat ? q.MetricStat.Period : q.Period;
  if (period !== undefined && !([1, 5, 10, 20, 30].includes(period) || period % 60 === 0)) {
    serviceError('ValidationError', 'The parameter ' + member + '.Period must be 1, 5, 10, 20, 30, or a multiple of 60.');
  }
  if (q.Expression !== undefined && /^\s*select\b/i.test(q.Expression) && q.Period === undefined) {
    serviceError('ValidationError', 'Period must be set for a Metrics Insights query in ' + member + '.');
  }
});
if (!queries.some((q) => q.ReturnData !== false)) serviceError('ValidationError', 'At least one MetricDataQuery must return data.');
if (!(start < end)) serviceError('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');

// Misbehaviour on request.
if (state.mode === 'throttle') {
  process.stderr.write('\nAn error occurred (Throttling) when calling the GetMetricData operation (reached max retries: 2): Rate exceeded\n');
  process.exit(254);
}
if (state.mode === 'fault') {
  process.stderr.write('\nAn error occurred (InternalServiceFault) when calling the GetMetricData operation (reached max retries: 2): Internal service error\n');
  process.exit(254);
}
if (state.mode === 'unavailable') {
  process.stderr.write('\nAn error occurred (ServiceUnavailable) when calling the GetMetricData operation (reached max retries: 2): Service Unavailable\n');
  process.exit(254);
}
// botocore's words for a request that got no answer (exceptions.py), printed after its retries.
const endpoint = opts['--endpoint-url'] || 'https://monitoring.' + (opts['--region'] || 'us-east-1') + '.amazonaws.com/';
const unanswered = {
  unreachable: 'Could not connect to the endpoint URL: "' + endpoint + '"',
  'connect-timeout': 'Connect timeout on endpoint URL: "' + endpoint + '"',
  'read-timeout': 'Read timeout on endpoint URL: "' + endpoint + '"',
  closed: 'Connection was closed before we received a valid response from endpoint URL: "' + endpoint + '".',
}[state.mode];
if (unanswered !== undefined) {
  process.stderr.write('\n' + unanswered + '\n');
  process.exit(255);
}
if (state.mode === 'gateway') {
  process.stderr.write('\nAn error occurred (502) when calling the GetMetricData operation (reached max retries: 2): Bad Gateway\n');
  process.exit(254);
}
if (state.mode === 'denied') serviceError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/ci/gh is not authorized to perform: cloudwatch:GetMetricData');
if (state.mode === 'nocreds') {
  process.stderr.write('\nUnable to locate credentials. You can configure credentials by running "aws configure".\n');
  process.exit(253);
}
if (state.mode === 'hang') { setTimeout(() => process.exit(0), 4000); return; }

// Data. CloudWatch keeps older data at coarser steps: the start is rounded down to the step,
// and a period that is not a multiple of it answers no datapoints.
const age = (state.now === undefined ? end : state.now) - start;
const step = age >= 63 * 86400 ? 3600 : age >= 15 * 86400 ? 300 : 60;
const from = Math.floor(start / step) * step;
const periodTooFine = (period) => age > 3 * 3600 && period % step !== 0;
const sameDims = (stored, dims) => {
  const list = dims || [];
  return Object.keys(stored).length === list.length && list.every((d) => stored[d.Name] === d.Value);
};
function bucket(points, period, stat) {
  const groups = new Map();
  if (periodTooFine(period)) return groups;
  for (const [t, v] of points) {
    if (t < from || t >= end) continue;
    const b = from + Math.floor((t - from) / period) * period;
    groups.set(b, [...(groups.get(b) || []), v]);
  }
  const out = new Map();
  for (const [b, vs] of groups) {
    const sum = vs.reduce((x, y) => x + y, 0);
    const value = { Sum: sum, Average: sum / vs.length, Minimum: Math.min(...vs), Maximum: Math.max(...vs), SampleCount: vs.length }[stat];
    if (value === undefined) serviceError('ValidationError', 'Unsupported statistic ' + stat + '.');
    out.set(b, value);
  }
  return out;
}
const series = new Map();
function evaluate(q) {
  if (series.has(q.Id)) return series.get(q.Id);
  let result;
  if (q.MetricStat) {
    const m = q.MetricStat.Metric;
    const stored = state.metrics.find((s) => s.Namespace === m.Namespace && s.MetricName === m.MetricName && sameDims(s.Dimensions, m.Dimensions));
    result = stored ? bucket(stored.points, q.MetricStat.Period, q.MetricStat.Stat) : new Map();
  } else if (/^\s*select\b/i.test(q.Expression)) {
    result = bucket((state.insights || {})[q.Expression] || [], q.Period, 'Sum');
  } else {
    result = math(q.Expression);
  }
  series.set(q.Id, result);
  return result;
}
function math(text) {
  const tokens = text.match(/\s*([A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?|[-+*/()])/g);
  if (!tokens || tokens.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) serviceError('ValidationError', "Error in expression '" + text + "': Unrecognized token.");
  let i = 0;
  const peek = () => (tokens[i] || '').trim();
  const next = () => (tokens[i++] || '').trim();
  const combine = (a, b, op) => {
    const times = a instanceof Map ? [...a.keys()] : b instanceof Map ? [...b.keys()] : [];
    const get = (x, t) => (x instanceof Map ? x.get(t) : x);
    const out = new Map();
    for (const t of times) {
      const x = get(a, t);
      const y = get(b, t);
      if (x === undefined || y === undefined) continue;
      out.set(t, op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y);
    }
    return out;
  };
  const primary = () => {
    const t = next();
    if (t === '(') { const v = sum(); if (next() !== ')') serviceError('ValidationError', 'Unbalanced parentheses'); return v; }
    if (/^\d/.test(t)) return Number(t);
    const ref = queries.find((q) => q.Id === t);
    if (!ref) serviceError('ValidationError', "Error in expression '" + text + "': Unrecognized token " + t + '.');
    return evaluate(ref);
  };
  const product = () => { let v = primary(); while (peek() === '*' || peek() === '/') { const op = next(); v = combine(v, primary(), op); } return v; };
  const sum = () => { let v = product(); while (peek() === '+' || peek() === '-') { const op = next(); v = combine(v, product(), op); } return v; };
  const v = sum();
  return v instanceof Map ? v : new Map();
}

const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', '+00:00');
let results = queries.filter((q) => q.ReturnData !== false).map((q) => {
  const points = [...evaluate(q)].filter(([, v]) => Number.isFinite(v)).sort(([a], [b]) => (scanBy === 'TimestampAscending' ? a - b : b - a));
  return {
    Id: q.Id,
    Label: q.Label || (q.MetricStat ? q.MetricStat.Metric.MetricName : q.Id),
    Timestamps: points.map(([t]) => iso(t)),
    Values: points.map(([, v]) => v),
    StatusCode: state.mode === 'partial' ? 'PartialData' : state.mode === 'internal' ? 'InternalError' : 'Complete',
  };
});
const answer = { MetricDataResults: results, Messages: [] };
if (state.mode === 'paginate') {
  const page = (first) => results.map((r) => ({
    ...r,
    Timestamps: first ? r.Timestamps.slice(0, 1) : r.Timestamps.slice(1),
    Values: first ? r.Values.slice(0, 1) : r.Values.slice(1),
    StatusCode: first ? 'PartialData' : 'Complete',
  }));
  // --next-token turns the CLI's own paging off, as --no-paginate does.
  if (opts['--no-paginate'] || opts['--next-token'] !== undefined) {
    const first = opts['--next-token'] === undefined;
    answer.MetricDataResults = page(first);
    if (first) answer.NextToken = 'page-2';
  } else {
    answer.MetricDataResults = [...page(true), ...page(false)];
  }
}
if (state.mode === 'limited') {
  answer.Messages = [{ Code: 'MaxMetricsExceeded', Value: 'Maximum number of allowed metrics exceeded. Your search may have been limited.' }];
}
process.stdout.write(JSON.stringify(answer, null, 4) + '\n');
`;

/**
 * The stand-in installed for a test file with `state`, behind a `wrapper` script (given the
 * stand-in's own path) that is the `aws` first on PATH during each test: it may alter the
 * stand-in's answers as CloudWatch would (PartialData, say). Removed after the file's tests.
 */
export function useWrappedFakeAws(prefix: string, state: AwsState, wrapper: (fake: string) => string): void {
  let dir: string | undefined;
  let aws: FakeAws;
  let bin: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    aws = await installFakeAws(dir, state);
    bin = join(dir, 'wrapper');
    await mkdir(bin);
    await writeFile(join(bin, 'aws'), wrapper(join(aws.binDir, 'aws')));
    await chmod(join(bin, 'aws'), 0o755);
  });
  beforeEach(() => {
    vi.stubEnv('PATH', `${bin}${delimiter}${process.env.PATH ?? ''}`);
    vi.stubEnv('FAKE_AWS_STATE', aws.env.FAKE_AWS_STATE);
    vi.stubEnv('FAKE_AWS_LOG', aws.env.FAKE_AWS_LOG);
    return () => vi.unstubAllEnvs();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
}
