import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { validateCommand } from '../../src/cli/validate-command.js';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// A gate query its metric source cannot read at all used to pass validation and fail at every look
// after the candidate was deployed (rolled back as "metrics failed 5 times in a row"), or crash the
// run on a raw SyntaxError. Each source's own parser now reads the query, filled in with sample
// values, when the config is loaded: refused before anything is deployed, naming the field and
// what to write instead.

const F = '.github/model-gate.yml';

/** One model on `metrics` (flow YAML) with one gate (flow YAML) and `extra` lines of the model. */
const config = (metrics: string, gate: string, extra = '') =>
  `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: ${metrics}
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - ${gate}
${extra}`;

const stat = (id: string, more = '') =>
  `{"Id": "${id}", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Dimensions": [{"Name": "VariantName", "Value": "{{version}}"}]}, "Stat": "p99"}${more}}`;
const REQUESTS = stat('requests').replace('ModelLatency', 'Invocations').replace('"p99"', '"Sum"');
const cloudwatch = (requests = REQUESTS) => `{ type: cloudwatch, requests: '${requests}' }`;
const HTTP_JSON = '{ type: http-json, url: "https://metrics.example.com/{{model}}/{{slot}}" }';
const threshold = (query: string) => `{ name: p99, kind: threshold, query: '${query}', max: 0.5 }`;
const AT_QUERY = `${F}:10:46: models.fraud.gates[0].query`;
const SELECTOR_EXAMPLES =
  'write a path such as "requests", "data.canary.error_rate", "result[0].value[1]" or "series[-1]"';

describe('a CloudWatch query CloudWatch would refuse at every look', () => {
  it('is refused for an Id CloudWatch does not take, suggesting one it does', () => {
    expect(problemsOf(config(cloudwatch(), threshold(stat('P99'))))).toEqual([
      `${AT_QUERY}: the cloudwatch metrics source cannot read this query: query item 0 has the "Id" "P99", which CloudWatch refuses: an Id starts with a lowercase letter, then letters, digits or _ (^[a-z][a-zA-Z0-9_]*$), e.g. "p99"`,
    ]);
    // The source's own requests query too.
    expect(
      problemsOf(config(cloudwatch(REQUESTS.replace('"requests"', '"Requests"')), threshold(stat('p99')))),
    ).toEqual([
      `${F}:4:42: defaults.metrics.requests: the cloudwatch metrics source cannot read this query: query item 0 has the "Id" "Requests", which CloudWatch refuses: an Id starts with a lowercase letter, then letters, digits or _ (^[a-z][a-zA-Z0-9_]*$), e.g. "requests"`,
    ]);
  });

  it('is refused when it is not JSON, naming what to write', () => {
    const [problem] = problemsOf(
      config(cloudwatch(), threshold(stat('p99').replace(', "Dimensions"', ' "Dimensions"'))),
    );
    expect(
      problem?.startsWith(
        `${AT_QUERY}: the cloudwatch metrics source cannot read this query: the query is not valid JSON (Expected ',' or '}' after property value`,
      ),
      problem,
    ).toBe(true);
    expect(problem).toMatch(
      /; write one MetricDataQuery object, a list of them, or one expression \(metric math or SELECT \.\.\.\)$/,
    );
  });

  it('is refused unless exactly one query returns data, each with a MetricStat or an Expression', () => {
    const two = `[${stat('a')}, {"Id": "b", "Expression": "a * 2"}]`;
    const none = `[${stat('a', ', "ReturnData": false')}]`;
    const neither = '{"Id": "a", "Period": 60}';
    expect([two, none, neither].flatMap((q) => problemsOf(config(cloudwatch(), threshold(q))))).toEqual([
      `${AT_QUERY}: the cloudwatch metrics source cannot read this query: 2 queries return data, expected exactly one; set "ReturnData": false on the others`,
      `${AT_QUERY}: the cloudwatch metrics source cannot read this query: 0 queries return data, expected exactly one; leave "ReturnData": false out of the one whose data is the answer`,
      `${AT_QUERY}: the cloudwatch metrics source cannot read this query: query item 0 ("a") must have exactly one of "MetricStat" and "Expression"`,
    ]);
  });

  it('is accepted as metric math over hidden queries, or as one Metrics Insights expression', () => {
    const math = `[${stat('a', ', "ReturnData": false')}, {"Id": "b", "Expression": "a * 2"}]`;
    const sql = `SELECT AVG(ModelLatency) FROM SCHEMA("AWS/SageMaker", VariantName) WHERE VariantName = ''{{version}}''`;
    for (const q of [math, sql]) {
      expect(parseConfig(config(cloudwatch(), threshold(q)), {}).config.models.fraud?.gates[0]).toMatchObject(
        {
          query: q.replaceAll("''", "'"),
        },
      );
    }
  });
});

describe('an http-json selector the source cannot read', () => {
  it('is refused in a gate query, on its own or after a URL, and in a drift watch', () => {
    const escaped = 'metrics["p99\\.latency"]';
    expect(problemsOf(config(HTTP_JSON, threshold(escaped)))).toEqual([
      `${AT_QUERY}: the http-json metrics source cannot read this query: the quoted key at character 8 holds the escape \\., which JSON does not know; inside ["..."] the key is a JSON string: write it as it is, a dot without a backslash (metrics["p99.latency"]), escaping only \\" and \\\\`,
    ]);
    expect(problemsOf(config(HTTP_JSON, threshold('https://m.example.com/{{slot}}#metrics..p99')))).toEqual([
      `${AT_QUERY}: the http-json metrics source cannot read this query: cannot read the selector at character 9 (".p99"); ${SELECTOR_EXAMPLES}`,
    ]);
    const ratio = "{ name: errors, kind: ratio, events: 'stats.errors[', max-increase: 10% }";
    expect(problemsOf(config(HTTP_JSON, ratio, "    drift-watch: { buckets: 'scores..b' }\n"))).toEqual([
      `${F}:10:46: models.fraud.gates[0].events: the http-json metrics source cannot read this query: cannot read the selector at character 13 ("["); ${SELECTOR_EXAMPLES}`,
      `${F}:11:29: models.fraud.drift-watch.buckets: the http-json metrics source cannot read this query: cannot read the selector at character 8 (".b"); ${SELECTOR_EXAMPLES}`,
    ]);
  });

  it("is refused as the source's requests selector, which threw a SyntaxError out of the config check", () => {
    const metrics = `{ type: http-json, url: "https://metrics.example.com/{{slot}}", requests: 'stats["a\\q"]' }`;
    expect(problemsOf(config(metrics, threshold('p99')))).toEqual([
      `${F}:4:86: defaults.metrics.requests: the quoted key at character 6 holds the escape \\q, which JSON does not know; inside ["..."] the key is a JSON string: write it as it is, a dot without a backslash (metrics["p99.latency"]), escaping only \\" and \\\\`,
    ]);
  });

  it('is refused on the file source, whose queries are selectors too', () => {
    expect(problemsOf(config('{ type: file, path: m.json }', threshold('latency p99')))).toEqual([
      `${AT_QUERY}: the file metrics source cannot read this query: cannot read the selector at character 8 (" p99"); ${SELECTOR_EXAMPLES}`,
    ]);
  });

  it('is accepted with a quoted key holding dots', () => {
    const gate = parseConfig(config(HTTP_JSON, threshold('metrics["p99.latency"]')), {}).config.models.fraud
      ?.gates[0];
    expect(gate).toMatchObject({ query: 'metrics["p99.latency"]' });
  });
});

it('model-gate validate prints the refusal and exits 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-queries-'));
  const err: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
    err.push(String(line));
  });
  try {
    const file = join(dir, 'model-gate.yml');
    await writeFile(file, config(HTTP_JSON, threshold('metrics["p99\\.latency"]')));
    expect(await validateCommand([file])).toBe(1);
    expect(err.join('\n')).toContain(
      `${file}:10:46: models.fraud.gates[0].query: the http-json metrics source cannot read this query: the quoted key at character 8 holds the escape \\.`,
    );
  } finally {
    spy.mockRestore();
    await rm(dir, { recursive: true, force: true });
  }
});
