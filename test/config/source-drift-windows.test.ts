import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { fileSource } from '../../src/metrics/file-source.js';
import { renderUrl } from '../../src/metrics/http-json-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { problemsOf } from './sample.js';

// A drift watch compares the stable version's last hour with the day before it. A source that
// cannot tell those windows apart (a JSON file has no time; a URL without {{since}} and {{until}}
// fetches one answer, or reads a window that ended in the past up to now) gives both the same
// histogram, and the watch says "no drift, PSI 0.000" whatever the predictions do. Refused at load.

const F = '.github/model-gate.yml';
const config = (
  metrics: string,
  more = '    drift-watch: { buckets: scores.buckets }\n',
  strategy = '{ type: canary, steps: [10, 50] }',
  gates = '[]',
) =>
  `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: ${strategy}
    metrics: ${metrics}
    gates: ${gates}
${more}`;

const HOUR = 3_600_000;
const T = 1_767_225_600_000;
const recent: MetricWindow = { model: 'fraud', slot: 'stable', version: 'v1', since: T - HOUR, until: T };
const reference: MetricWindow = { ...recent, since: T - 25 * HOUR, until: T - HOUR };

const TIMED = 'https://metrics.example.com/{{model}}/{{slot}}?since={{since}}&until={{until}}';
const FIX = `put {{since}} and {{until}} in it (epoch seconds of the window's start and end), e.g. ${TIMED}`;
const COMPARES =
  "models.fraud.drift-watch: compares the stable version's recent predictions with the window before them, which ended in the past";

describe('a drift watch on the file source', () => {
  it('reads one histogram for both windows from a JSON document', async () => {
    const root = await mkdtemp(join(tmpdir(), 'model-gate-drift-file-'));
    try {
      await writeFile(
        join(root, 'm.json'),
        JSON.stringify({
          slots: {
            stable: {
              scores: {
                buckets: [
                  { le: 1, count: 9 },
                  { le: '+Inf', count: 9 },
                ],
              },
            },
          },
        }),
      );
      const source = fileSource({ type: 'file', path: 'm.json', requests: 'requests' }, root);
      expect(await source.buckets?.('scores.buckets', reference)).toEqual(
        await source.buckets?.('scores.buckets', recent),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('is refused on a JSON document, saying what to use instead', () => {
    expect(problemsOf(config('{ type: file, path: m.json }'))).toEqual([
      `${F}:10:5: ${COMPARES}, but the file source's path (m.json) is a JSON document with no time in it, so both windows read the same histogram and the watch would find no drift whatever the predictions do; use a JSONL file whose lines carry "time" (metrics.path: scores.jsonl), a path naming {{since}} and {{until}}, or a source that keeps time (prometheus)`,
    ]);
  });

  it('is accepted on JSONL (lines carry their time) and on a path naming the window', () => {
    for (const path of ['m.jsonl', 'scores/{{since}}-{{until}}.json']) {
      const model = parseConfig(config(`{ type: file, path: "${path}" }`), {}).config.models.fraud;
      expect(model?.driftWatch, path).toMatchObject({ buckets: 'scores.buckets' });
    }
  });
});

describe('a drift watch on http-json', () => {
  it('fetches the same URL for both windows when it names no time, and a window that ended in the past only with {{until}}', () => {
    expect(renderUrl('https://m/{{slot}}', reference)).toBe(renderUrl('https://m/{{slot}}', recent));
    // [T-2h, T-1h] and [T-2h, T]: one URL with {{since}} alone, two with {{until}}.
    const ended = { ...recent, since: T - 2 * HOUR, until: T - HOUR };
    const untilNow = { ...recent, since: T - 2 * HOUR };
    expect(renderUrl('https://m/?s={{since}}', ended)).toBe(renderUrl('https://m/?s={{since}}', untilNow));
    expect(renderUrl('https://m/?s={{since}}&u={{until}}', ended)).toBe(
      `https://m/?s=${(T - 2 * HOUR) / 1000}&u=${(T - HOUR) / 1000}`,
    );
  });

  it("is refused when the source's url names no time, or {{since}} without {{until}}", () => {
    expect(problemsOf(config('{ type: http-json, url: "https://m/{{model}}/{{slot}}" }'))).toEqual([
      `${F}:10:5: ${COMPARES}, but the source's url (metrics.url) names none of {{since}}, {{until}} and {{window}}, so both windows fetch the same answer and the watch would find no drift whatever the predictions do; ${FIX}`,
    ]);
    expect(problemsOf(config('{ type: http-json, url: "https://m/{{slot}}?since={{since}}" }'))).toEqual([
      `${F}:10:5: ${COMPARES}, but the source's url (metrics.url) names no {{until}}, so the reference window, which ended in the past, would be read up to now, taking in the recent predictions it is compared with; ${FIX}`,
    ]);
  });

  it("names drift-watch.buckets when the query's own URL is the one without time", () => {
    const more = '    drift-watch: { buckets: "https://m/{{slot}}#scores.buckets" }\n';
    const problems = problemsOf(config(`{ type: http-json, url: "${TIMED}" }`, more));
    expect(problems).toEqual([
      expect.stringMatching(
        /^\.github\/model-gate\.yml:10:\d+: models\.fraud\.drift-watch\.buckets: .*, but the URL of drift-watch\.buckets names none of/,
      ),
    ]);
  });

  it('is accepted with {{until}}, or {{since}} with {{window}}', () => {
    for (const url of [TIMED, 'https://m/{{slot}}?since={{since}}&window={{window}}']) {
      const model = parseConfig(config(`{ type: http-json, url: "${url}" }`), {}).config.models.fraud;
      expect(model?.driftWatch, url).toMatchObject({ buckets: 'scores.buckets' });
    }
  });
});

describe('a blue-green relative bound on http-json', () => {
  const blueGreen = '{ type: blue-green, bake-duration: 10m }';
  const gate = '[{ name: p99, kind: threshold, query: latency.p99, max-increase: 10% }]';
  it('is refused when the URL names neither the arm nor the time: the candidate would be compared with itself', () => {
    expect(
      problemsOf(config('{ type: http-json, url: "https://m/{{model}}" }', '', blueGreen, gate)),
    ).toEqual([
      expect.stringMatching(
        /models\.fraud\.gates\[0\]\.query: compares the candidate with the stable version just before the switch, but the source's url \(metrics\.url\) it is read from names neither the arm nor the time/,
      ),
    ]);
  });

  it('is accepted when it names the arm or the time', () => {
    for (const url of ['https://m/{{slot}}', 'https://m/x?since={{since}}&until={{until}}']) {
      const text = config(`{ type: http-json, url: "${url}" }`, '', blueGreen, gate);
      expect(parseConfig(text, {}).config.models.fraud?.gates, url).toHaveLength(1);
    }
  });
});
