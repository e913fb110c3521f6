/**
 * A JSON document given to `model-gate analyze` instead of JSON lines (pretty-printed, a list on
 * one line, analyze's own `--json` report fed back to it) is refused in one line that says so and
 * how to make lines of it, not as a problem on each of its lines; and a log without a look says
 * why a release's log can have none.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from './analyze-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-json-document-'));

function written(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const look = (time: string) => ({
  time,
  gate: 'errors',
  kind: 'ratio',
  split: 0.05,
  canary: { events: 12, total: 1500 },
  baseline: { events: 290, total: 28500 },
  maxIncrease: 0.1,
});
const looks = [look('2026-11-28T10:05:00Z'), look('2026-11-28T10:06:00Z')];
const listHint = (file: string) =>
  `model-gate analyze: ${file}: one JSON document, not JSON lines: analyze reads one observation per line (docs/observations.md), e.g. analyze <(jq -c '.[]' ${file})`;

describe('analyze given one JSON document', () => {
  it('refuses a pretty-printed list in one line that says how to make JSON lines of it', async () => {
    const file = written('pretty.json', JSON.stringify(looks, null, 2));
    expect(await analyze([file])).toEqual({ code: 3, out: '', err: [listHint(file)] });
  });

  it('refuses a list on one line alike, not as "expected a JSON object, got a list"', async () => {
    const file = written('one-line.json', `${JSON.stringify(looks)}\n`);
    expect(await analyze([file])).toEqual({ code: 3, out: '', err: [listHint(file)] });
  });

  it('refuses a pretty-printed observation with jq -c . as the way', async () => {
    const file = written('one.json', JSON.stringify(looks[0], null, 2));
    expect((await analyze([file])).err).toEqual([
      `model-gate analyze: ${file}: one JSON document, not JSON lines: analyze reads one observation per line (docs/observations.md), e.g. analyze <(jq -c . ${file})`,
    ]);
  });

  it('names its own --json report fed back to it, and the log it was made from', async () => {
    const log = written('release.jsonl', `${looks.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const report = await analyze([log, '--json']);
    expect(report.code).toBe(4);
    const reportHint = (file: string) =>
      `model-gate analyze: ${file}: one JSON document, not JSON lines: model-gate analyze's own --json report (of ${log}); analyze the observation log it was made from, one observation per line (docs/observations.md)`;
    const pretty = written('report.json', report.out);
    expect(await analyze([pretty])).toEqual({ code: 3, out: '', err: [reportHint(pretty)] });
    // Squeezed onto one line (jq -c): one JSON line, still the report.
    const squeezed = written('report-c.json', `${JSON.stringify(JSON.parse(report.out))}\n`);
    expect((await analyze([squeezed])).err).toEqual([reportHint(squeezed)]);
  });

  it('still reports each line of JSON lines with a bad line, a list among them', async () => {
    const file = written('lines.jsonl', `${JSON.stringify(looks[0])}\n[1, 2]\n`);
    expect((await analyze([file])).err).toEqual([
      `model-gate analyze: ${file}:2: expected a JSON object, got a list`,
    ]);
  });
});

describe('analyze given a log without a look', () => {
  it('says a release writes a line only for a look its judge judged, and where to look instead', async () => {
    const file = written('empty.jsonl', '');
    expect(await analyze([file])).toEqual({
      code: 3,
      out: '',
      err: [
        `model-gate analyze: ${file}: no observations: a release writes a line only for a look its judge judged, so none means its gates were still waiting (for min-requests, for scrapes) or have no judge a log holds (threshold, webhook); the release's report says where they stood`,
      ],
    });
  });
});
