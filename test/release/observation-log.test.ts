import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
});
