import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSecret } from '../../src/core/redact.js';
import { byPullRequest, byRelease, observationLog } from '../../src/release/observation-log.js';
import type { Release } from '../../src/release/types.js';
import { parseObservation } from '../../src/stats/observation.js';

const release = {
  model: 'fraud-detector',
  to: 'v3',
  pr: 42,
  startedAt: Date.UTC(2026, 10, 28, 10),
} as Release;
const line = {
  time: '2026-11-28T10:05:00.000Z',
  gate: 'errors',
  kind: 'ratio' as const,
  step: 'step 1 of 2',
  split: 0.1,
  canary: { events: 12, total: Number.NaN },
  baseline: { events: 290, total: 28500 },
  maxIncrease: 0.1,
  alpha: 0.025,
};

describe('the observation log a release writes', () => {
  it('appends lines analyze reads back: a count the source did not have is null, secrets redacted', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'model-gate-obslog-')), 'observations');
    const warnings: string[] = [];
    const observe = observationLog(dir, byRelease, { info: () => {}, warn: (m) => warnings.push(m) });
    addSecret('hunter2-secret');
    observe(release, line);
    observe(release, { ...line, time: '2026-11-28T10:06:00.000Z', gate: 'hunter2-secret' });
    const text = readFileSync(join(dir, 'fraud-detector-v3-20261128T100000Z.jsonl'), 'utf8');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(text).not.toContain('hunter2-secret');
    const parsed = parseObservation(JSON.parse(lines[0] as string));
    expect(parsed.success && parsed.data).toMatchObject({ canary: { events: 12, total: null } });
    expect(warnings).toEqual([]);
  });

  // Lines named no release: two releases' logs `cat` together replayed as one release's looks.
  it("names its release on every line, the action's log of a PR as the CLI's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-obslog-'));
    const none = { info: () => {}, warn: () => {} };
    observationLog(dir, byRelease, none)(release, line);
    observationLog(dir, byPullRequest, none)(release, line);
    const named = { model: 'fraud-detector', version: 'v3', started: '2026-11-28T10:00:00.000Z' };
    for (const file of ['fraud-detector-v3-20261128T100000Z.jsonl', 'fraud-detector-pr42.jsonl']) {
      const written = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      expect(written.release).toEqual(named);
      const parsed = parseObservation(written);
      expect(parsed.success && parsed.data.release).toEqual(named);
    }
  });

  it('warns once when the folder cannot be written, and never throws', () => {
    const root = mkdtempSync(join(tmpdir(), 'model-gate-obslog-'));
    writeFileSync(join(root, 'file'), '');
    const warnings: string[] = [];
    const observe = observationLog(join(root, 'file', 'observations'), byPullRequest, {
      info: () => {},
      warn: (m) => warnings.push(m),
    });
    observe(release, line);
    observe(release, line);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(root, 'file', 'observations', 'fraud-detector-pr42.jsonl'));
    expect(warnings[0]).toContain('the release goes on');
  });

  // A version that is a storage URI made a file name past 255 bytes: the write failed
  // (ENAMETOOLONG) and the warning blamed the folder.
  it('a long version (a storage URI) gets a cut name with a hash of the whole: two never share a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-obslog-'));
    const warnings: string[] = [];
    const observe = observationLog(dir, byRelease, { info: () => {}, warn: (m) => warnings.push(m) });
    const uri = `s3://ml-models-prod/fraud-detector/${'exp-2026-11-28/'.repeat(12)}model`;
    observe({ ...release, to: `${uri}-a.tar.gz` }, line);
    observe({ ...release, to: `${uri}-b.tar.gz` }, line);
    expect(warnings).toEqual([]);
    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(Buffer.byteLength(file)).toBeLessThan(255);
      expect(file).toMatch(
        /^fraud-detector-s3___ml-models-prod_fraud-detector_exp-.*-[0-9a-f]{10}-20261128T100000Z\.jsonl$/,
      );
    }
  });

  it('a release whose start is not a date warns once, naming it, and never throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-obslog-'));
    const warnings: string[] = [];
    const observe = observationLog(dir, byRelease, { info: () => {}, warn: (m) => warnings.push(m) });
    const undated = { ...release, startedAt: Number.NaN };
    observe(undated, line);
    observe(undated, line);
    expect(warnings).toEqual([
      `the observation log of fraud-detector v3 in ${dir} could not be named (its start time NaN is not a date); the release goes on, but \`model-gate analyze\` will have no log of its looks`,
    ]);
  });

  it('a name the file system refuses is said as such, not blamed on the folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-obslog-'));
    const warnings: string[] = [];
    const tooLong = () => `${'x'.repeat(300)}.jsonl`;
    const observe = observationLog(dir, tooLong, { info: () => {}, warn: (m) => warnings.push(m) });
    observe(release, line);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ENAMETOOLONG');
    expect(warnings[0]).toContain('its path is too long for the file system; the release goes on');
    expect(warnings[0]).not.toContain('check the folder');
  });
});
