import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CloudWatchMetricsConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { MetricsError } from '../../src/core/errors.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { type CloudWatchOptions, cloudwatchSource } from '../../src/metrics/cloudwatch-source.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import {
  type AwsState,
  type FakeAws,
  installFakeAws,
  type StoredMetric,
} from '../support/metrics-fake-aws.js';

const T0 = 1_760_000_040; // epoch seconds on a whole minute
const dims = (slot: string, version: string) => ({ Model: 'fraud', Slot: slot, Version: version });
/** Raw observations every 10 s from T0 - 120 s to T0 + 300 s. */
const every10s = (value: (i: number) => number): [number, number][] =>
  Array.from({ length: 43 }, (_, i) => [T0 - 120 + i * 10, value(i)]);

const STATE: AwsState = {
  mode: 'ok',
  metrics: [
    {
      Namespace: 'ModelGate',
      MetricName: 'Requests',
      Dimensions: dims('stable', 'v1'),
      points: every10s(() => 10),
    },
    {
      Namespace: 'ModelGate',
      MetricName: 'Errors',
      Dimensions: dims('stable', 'v1'),
      points: every10s(() => 0.1),
    },
    {
      Namespace: 'ModelGate',
      MetricName: 'Requests',
      Dimensions: dims('canary', 'v2'),
      points: every10s(() => 5),
    },
    {
      Namespace: 'ModelGate',
      MetricName: 'Errors',
      Dimensions: dims('canary', 'v2'),
      points: every10s((i) => (i % 2 === 0 ? 1 : 0)),
    },
  ] satisfies StoredMetric[],
  insights: {
    "SELECT SUM(Requests) FROM SCHEMA(ModelGate, Model, Slot, Version) WHERE Model = 'fraud' AND Slot = 'canary'":
      [
        [T0 + 30, 7],
        [T0 + 90, 8],
      ],
  },
};

const metricStat = (name: string, id: string, returnData = true) =>
  `{"Id":"${id}","MetricStat":{"Metric":{"Namespace":"ModelGate","MetricName":"${name}","Dimensions":[{"Name":"Model","Value":"{{model}}"},{"Name":"Slot","Value":"{{slot}}"},{"Name":"Version","Value":"{{version}}"}]},"Stat":"Sum"}${returnData ? '' : ',"ReturnData":false'}}`;
const REQUESTS = metricStat('Requests', 'requests');
const ERRORS = metricStat('Errors', 'errors');
const ERROR_RATE = `[${metricStat('Errors', 'e', false)},${metricStat('Requests', 'r', false)},{"Id":"rate","Expression":"e / r"}]`;

let dir: string;
let aws: FakeAws;

/** Whether a process runs (a zombie waiting for its parent to reap it does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: the signal reached it
  }
}

const config = (over: Partial<CloudWatchMetricsConfig> = {}): CloudWatchMetricsConfig => ({
  type: 'cloudwatch',
  region: 'eu-west-1',
  timeoutMs: 5_000,
  requests: REQUESTS,
  reducer: 'avg',
  ...over,
});
/** The look's now, as CloudWatch sees it: the windows' end. */
const lookClock = new FakeClock((T0 + 130) * 1000);
const sourceAtLook = (c: CloudWatchMetricsConfig, options: CloudWatchOptions = {}) =>
  cloudwatchSource(c, options, lookClock);
/** T0 (a whole minute) to 130 s after: one 180 s period from T0. */
const w = (slot: 'stable' | 'canary', version: string, since = T0): MetricWindow => ({
  model: 'fraud',
  slot,
  version,
  since: since * 1000,
  until: (T0 + 130) * 1000,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-cloudwatch-'));
  aws = await installFakeAws(dir, STATE);
});
beforeEach(() => {
  vi.stubEnv('PATH', `${aws.binDir}${delimiter}${process.env.PATH ?? ''}`);
  vi.stubEnv('FAKE_AWS_STATE', aws.env.FAKE_AWS_STATE);
  vi.stubEnv('FAKE_AWS_LOG', aws.env.FAKE_AWS_LOG);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.setState(STATE);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cloudwatch source through the aws CLI', () => {
  it('runs get-metric-data with an argument list and sums request counts', async () => {
    const before = (await aws.calls()).length;
    // [T0, T0 + 130 s): 13 observations.
    expect(await sourceAtLook(config()).requests(w('canary', 'v2'))).toBe(65);
    const args = (await aws.calls())[before] as string[];
    expect(args.slice(0, 2)).toEqual(['cloudwatch', 'get-metric-data']);
    const opt = (name: string) => args[args.indexOf(name) + 1];
    expect(opt('--output')).toBe('json');
    expect(opt('--region')).toBe('eu-west-1');
    expect(opt('--start-time')).toBe(new Date(T0 * 1000).toISOString());
    expect(opt('--end-time')).toBe(new Date((T0 + 130) * 1000).toISOString());
    // The JSON travels as one argument, quotes and all: no shell in between.
    expect(JSON.parse(opt('--metric-data-queries') as string)).toEqual([
      {
        Id: 'requests',
        MetricStat: {
          Metric: {
            Namespace: 'ModelGate',
            MetricName: 'Requests',
            Dimensions: [
              { Name: 'Model', Value: 'fraud' },
              { Name: 'Slot', Value: 'canary' },
              { Name: 'Version', Value: 'v2' },
            ],
          },
          Stat: 'Sum',
          Period: 180,
        },
      },
    ]);
  });

  it('leaves out the partial first minute of a window that starts mid-minute', async () => {
    // A step confirmed at T0 + 10 s: the observations at T0 (the previous step's traffic, which
    // CloudWatch would count from a start rounded down) are not the step's; counting starts at T0 + 60 s.
    const source = sourceAtLook(config());
    const before = (await aws.calls()).length;
    // [T0 + 60 s, T0 + 130 s): 7 observations of 5 requests, 4 of them with an error.
    expect(await source.requests(w('canary', 'v2', T0 + 10))).toBe(35);
    expect(await source.count?.(ERRORS, w('canary', 'v2', T0 + 10))).toBe(4);
    const args = (await aws.calls())[before] as string[];
    expect(args[args.indexOf('--start-time') + 1]).toBe(new Date((T0 + 60) * 1000).toISOString());
    // Within the first partial minute the window is still empty: no data, never a count from before.
    const early = { ...w('canary', 'v2', T0 + 10), until: (T0 + 50) * 1000 };
    expect(await source.requests(early)).toBe(0);
    expect(await source.value(ERROR_RATE, early)).toBeUndefined();
  });

  it('reads a metric-math ratio per slot', async () => {
    const source = sourceAtLook(config());
    expect(await source.value(ERROR_RATE, w('stable', 'v1'))).toBeCloseTo(0.01, 12);
    // 7 errors in 13 observations of 5 requests.
    expect(await source.value(ERROR_RATE, w('canary', 'v2'))).toBeCloseTo(7 / 65, 12);
  });

  it('runs a single expression (Metrics Insights) with the window as its period', async () => {
    const sql =
      "SELECT SUM(Requests) FROM SCHEMA(ModelGate, Model, Slot, Version) WHERE Model = '{{model}}' AND Slot = '{{slot}}'";
    expect(await sourceAtLook(config({ requests: sql })).requests(w('canary', 'v2'))).toBe(15);
  });

  it('has no data, never zero, for a version without datapoints', async () => {
    const source = sourceAtLook(config());
    expect(await source.value(ERROR_RATE, w('canary', 'v9'))).toBeUndefined();
    await expect(source.requests(w('canary', 'v9'))).rejects.toThrow(
      /^cloudwatch: the requests query matched nothing for the canary slot \(version v9\), which is no data, not 0: check its namespace, metric name and dimensions \(metrics\.requests\)/,
    );
  });

  it('follows NextToken across pages and reduces per-minute datapoints', async () => {
    // Two pages, page 1 PartialData. Left to page itself, the CLI (as the stand-in) joins them with
    // page 1's PartialData entry among the results and no NextToken: every look read "partial".
    await aws.setState({ ...STATE, mode: 'paginate' });
    const perMinute = (q: string) => q.replaceAll('"Stat":"Sum"', '"Stat":"Sum","Period":60');
    const source = sourceAtLook(config({ requests: perMinute(REQUESTS), reducer: 'max' }));
    const before = (await aws.calls()).length;
    expect(await source.requests(w('canary', 'v2'))).toBe(65);
    const calls = (await aws.calls()).slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.slice(-2)).toEqual(['--next-token', 'page-2']);
    // Per minute: 3/30, 3/30 and 1/5 errors per request.
    expect(await source.value(perMinute(ERROR_RATE), w('canary', 'v2'))).toBeCloseTo(0.2, 12);
  });

  it('reads partial data as no data, naming the query and the arm, for a gate and a request count', async () => {
    await aws.setState({ ...STATE, mode: 'partial' });
    const source = sourceAtLook(config());
    await expect(source.value(ERROR_RATE, w('canary', 'v2'))).rejects.toThrow(
      /^cloudwatch: the query returned partial data for the canary slot \(version v2\) \(PartialData\), not used: /,
    );
    const requests = source.requests(w('canary', 'v2'));
    await expect(requests).rejects.toBeInstanceOf(NoDataError);
    await expect(requests).rejects.toThrow(
      /^cloudwatch: the requests query returned partial data for the canary slot \(version v2\) \(PartialData\), not used: "\{\\"Id\\":\\"requests\\"/,
    );
    await expect(source.count?.(ERRORS, w('canary', 'v2'))).rejects.toThrow(
      /^cloudwatch: the count query returned partial data for the canary slot \(version v2\) \(PartialData\), not used: "\{\\"Id\\":\\"errors\\"/,
    );
  });

  it('reads an answer CloudWatch limited (a top-level MaxMetricsExceeded message) as partial data', async () => {
    await aws.setState({ ...STATE, mode: 'limited' });
    const source = sourceAtLook(config());
    await expect(source.value(ERROR_RATE, w('canary', 'v2'))).rejects.toBeInstanceOf(NoDataError);
    await expect(source.requests(w('canary', 'v2'))).rejects.toThrow(
      /^cloudwatch: the requests query returned partial data for the canary slot \(version v2\) \(CloudWatch limited the answer: MaxMetricsExceeded\), not used: .*; if every look is partial, narrow the query/,
    );
    await expect(source.count?.(ERRORS, w('canary', 'v2'))).rejects.toBeInstanceOf(NoDataError);
  });

  it('counts events as the Sum over the window; `requests` is the source requests query', async () => {
    const source = sourceAtLook(config());
    // [T0, T0 + 130 s): 13 observations of 1 or 0 errors, 7 of them 1.
    expect(await source.count?.(ERRORS, w('canary', 'v2'))).toBe(7);
    expect(await source.count?.('requests', w('canary', 'v2'))).toBe(65);
    await expect(source.count?.(ERRORS, w('canary', 'v9'))).rejects.toThrow(
      /^cloudwatch: the count query matched nothing for the canary slot \(version v9\), which is no data, not 0: .*if zero is meant, return FILL\(m, 0\)/,
    );
  });

  it('serves a ratio gate from the config file end to end', async () => {
    const yaml = fraudOnSource(
      `{ type: cloudwatch, region: eu-west-1, requests: '${REQUESTS}' }`,
      [`{ name: errors, kind: ratio, events: '${ERRORS}', max-increase: 10% }`],
      50,
    );
    const model = parseConfig(yaml, {}).config.models.fraud;
    const gate = model?.gates[0];
    if (!model || gate?.kind !== 'ratio') throw new Error('no ratio gate');
    const { since, until } = w('canary', 'v2');
    const m = await measureRatio(gate, fraudLook(metricsFor(model, undefined, lookClock), since, until, 50));
    // Stable: 13 observations of 10 requests and 0.1 errors (1.3, a count of 1).
    expect(m).toMatchObject({ canaryRequests: 65, baselineRequests: 130 });
    expect(m.canary).toBeCloseTo(7 / 65, 12);
    expect(m.baseline).toBeCloseTo(1 / 130, 12);
    expect(m.verdict).not.toBe('error');
  });

  it.each([
    [
      'throttle',
      /^cloudwatch: throttled by CloudWatch \(An error occurred \(Throttling\).*Rate exceeded\); lengthen/,
    ],
    ['denied', /^cloudwatch: access denied .*; the role needs cloudwatch:GetMetricData/],
    [
      'nocreds',
      /^cloudwatch: the AWS CLI configuration or credentials are missing or invalid \(exit 253\): Unable to locate credentials/,
    ],
    ['internal', /^cloudwatch: InternalError for query "requests"/],
  ] as const)('turns %s into a MetricsError', async (mode, message) => {
    await aws.setState({ ...STATE, mode });
    const err = await sourceAtLook(config())
      .requests(w('canary', 'v2'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as Error).message).toMatch(message);
  });

  // CloudWatch's own HTTP 500 / 503 after the CLI's retries: they pass by themselves, as
  // throttling does, so the check before traffic asks for a re-run instead of failing the head.
  it.each([
    ['throttle', 'Throttling'],
    ['fault', 'InternalServiceFault'],
    ['unavailable', 'ServiceUnavailable'],
  ] as const)('says CloudWatch refusing with %s (%s) passes by itself', async (mode, code) => {
    await aws.setState({ ...STATE, mode });
    const err = await sourceAtLook(config())
      .requests(w('canary', 'v2'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).passing).toBe(true);
    expect((err as Error).message).toContain(
      `An error occurred (${code}) when calling the GetMetricData operation`,
    );
  });

  // No answer at all (exit 255 after the CLI's retries) or a gateway's bare 502: a network outage
  // passes by itself, as Prometheus's "cannot reach" does, so the check before traffic asks for a
  // re-run instead of failing the PR's commit for good.
  it.each([
    ['unreachable', 'Could not connect to the endpoint URL: "https://monitoring.eu-west-1.amazonaws.com/"'],
    ['connect-timeout', 'Connect timeout on endpoint URL: "https://monitoring.eu-west-1.amazonaws.com/"'],
    ['read-timeout', 'Read timeout on endpoint URL: "https://monitoring.eu-west-1.amazonaws.com/"'],
    ['closed', 'Connection was closed before we received a valid response from endpoint URL'],
  ] as const)('says CloudWatch unreachable (%s) passes by itself, with what to check', async (mode, said) => {
    await aws.setState({ ...STATE, mode });
    const err = await sourceAtLook(config())
      .requests(w('canary', 'v2'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).passing).toBe(true);
    expect((err as Error).message).toMatch(/^cloudwatch: cannot reach CloudWatch \(/);
    expect((err as Error).message).toContain(said);
    expect((err as Error).message).toContain(
      "; check the region (a misspelt one has no endpoint), the runner's network and any proxy (HTTPS_PROXY) between it and AWS",
    );
  });

  it('says a bare HTTP 502 from CloudWatch or a proxy passes by itself', async () => {
    await aws.setState({ ...STATE, mode: 'gateway' });
    const err = await sourceAtLook(config())
      .requests(w('canary', 'v2'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).passing).toBe(true);
    expect((err as Error).message).toMatch(
      /^cloudwatch: CloudWatch, or a proxy in between, answered HTTP 502 \(An error occurred \(502\).*Bad Gateway\); it passes by itself: if it keeps happening, check the network and any proxy/,
    );
  });

  it('gives up on a CLI that does not finish within the timeout', async () => {
    await aws.setState({ ...STATE, mode: 'hang' });
    const started = Date.now();
    await expect(sourceAtLook(config({ timeoutMs: 600 })).requests(w('canary', 'v2'))).rejects.toThrow(
      'cloudwatch: aws cloudwatch get-metric-data did not finish within 600ms (timeout)',
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('kills a CLI that outlives the timeout, and what it started: no process is left behind', async () => {
    const pidFile = join(dir, 'hung.pids');
    const hung = join(dir, 'hung-aws');
    // A wrapper that never answers, with a child of its own holding the output open.
    await writeFile(hung, `#!/bin/sh\necho $$ > "${pidFile}"\nsleep 300 &\necho $! >> "${pidFile}"\nwait\n`, {
      mode: 0o755,
    });
    const started = async () =>
      (await readFile(pidFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    try {
      const err = await sourceAtLook(config({ timeoutMs: 1_000 }), { command: hung })
        .requests(w('canary', 'v2'))
        .catch((e: unknown) => e);
      const pids = await started();
      expect(pids).toHaveLength(2);
      expect(pids.filter(alive)).toEqual([]);
      expect((err as Error).message).toBe(
        'cloudwatch: aws cloudwatch get-metric-data did not finish within 1s (timeout); it was stopped',
      );
    } finally {
      for (const pid of (await started()).filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });

  it('says so when arguments are refused (exit 252) or the CLI is missing', async () => {
    const unknownKey = REQUESTS.replace('"Stat":"Sum"', '"Stat":"Sum","Foo":1');
    await expect(sourceAtLook(config({ requests: unknownKey })).requests(w('canary', 'v2'))).rejects.toThrow(
      /^cloudwatch: the aws CLI refused the arguments \(exit 252\): Unknown parameter in MetricDataQueries\[0\]\.MetricStat: "Foo"/,
    );
    await expect(
      sourceAtLook(
        config({ requests: `[${metricStat('Requests', 'a')},${metricStat('Errors', 'b')}]` }),
      ).requests(w('canary', 'v2')),
    ).rejects.toThrow(/2 queries return data, expected exactly one/);
    await expect(
      sourceAtLook(config(), { command: join(dir, 'no-such-aws') }).requests(w('canary', 'v2')),
    ).rejects.toThrow(/^cloudwatch: cannot run the AWS CLI .*install AWS CLI v2/);
  });

  it('uses a stand-in that accepts only documented argument lists', async () => {
    const run = promisify(execFile);
    const fail = async (args: string[]) => {
      const err = (await run(join(aws.binDir, 'aws'), args, { env: { ...process.env, ...aws.env } }).catch(
        (e: unknown) => e,
      )) as { code?: number; stderr?: string };
      return { code: err.code, stderr: err.stderr ?? '' };
    };
    const q = '[{"Id":"a","Expression":"1","Period":60}]';
    expect(
      await fail(['cloudwatch', 'get-metric-data', '--metric-data-queries', q, '--output', 'json']),
    ).toMatchObject({
      code: 252,
      stderr: expect.stringContaining('the following arguments are required: --start-time, --end-time'),
    });
    const times = ['--start-time', '2025-01-01T00:00:00Z', '--end-time', '2025-01-01T00:05:00Z'];
    expect(
      await fail([
        'cloudwatch',
        'get-metric-data',
        '--metric-data-queries',
        q,
        ...times,
        '--output',
        'json',
        '--colour',
      ]),
    ).toMatchObject({
      code: 252,
      stderr: expect.stringContaining('Unknown options: --colour'),
    });
    expect(
      await fail([
        'cloudwatch',
        'get-metric-data',
        '--metric-data-queries',
        '[{"Id":"A","Expression":"1","Period":60}]',
        ...times,
        '--output',
        'json',
      ]),
    ).toMatchObject({ code: 254, stderr: expect.stringContaining('(ValidationError)') });
    expect(
      await fail([
        'cloudwatch',
        'get-metric-data',
        '--metric-data-queries',
        '[{"Id":"a","Expression":"1","Period":45}]',
        ...times,
        '--output',
        'json',
      ]),
    ).toMatchObject({
      code: 254,
      stderr: expect.stringContaining('must be 1, 5, 10, 20, 30, or a multiple of 60'),
    });
  });
});
