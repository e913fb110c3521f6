/**
 * A log is one release's (docs/observations.md, `release`): two releases' logs `cat` together were
 * replayed as one, the second release's looks in the first's steps, its failure reported as one
 * release's. `model-gate analyze`, run as a user runs it, refuses such a file in one line naming
 * both releases, and still reads logs written before lines named their release.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';

vi.setConfig({ testTimeout: 30_000 });
const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-release-'));

const V3 = { model: 'fraud-detector', version: 'v3', started: '2026-11-28T10:00:00.000Z' };
const V2 = { model: 'fraud-detector', version: 'v2', started: '2026-11-27T09:00:00.000Z' };

/** A healthy look at gate `errors` at `minute` past 10:00 of `day`, written by `release` (none: an older log). */
const look = (minute: number, release?: object, day = 28) => ({
  time: `2026-11-${day}T10:${String(minute).padStart(2, '0')}:00.000Z`,
  gate: 'errors',
  kind: 'ratio',
  step: 'step 1 of 2',
  split: 0.1,
  canary: { events: 3, total: 1500 + 1500 * minute },
  baseline: { events: 29, total: 13500 + 13500 * minute },
  ...(release ? { release } : {}),
});

async function analyze(name: string, lines: object[]) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return { file, ...(await runCli(dir, ['analyze', file])) };
}

describe('analyze on a log of two releases', () => {
  it("refuses it in one line naming both, the other release's looks not checked against the first's gates", async () => {
    // v2's log (a day earlier) cat after v3's: its looks are also before v3's, which the gate's
    // time order would otherwise name line by line.
    const { file, code, stdout, stderr } = await analyze('v3-then-v2.jsonl', [
      look(1, V3),
      look(2, V3),
      look(1, V2, 27),
      look(2, V2, 27),
      look(3, V2, 27),
    ]);
    expect(stderr.trim().split('\n')).toEqual([
      `model-gate analyze: ${file}:3: release: fraud-detector v2 (started 2026-11-27T09:00:00.000Z), but line 1 is fraud-detector v3 (started 2026-11-28T10:00:00.000Z): one release per file; split it, e.g. grep -F '"started":"2026-11-27T09:00:00.000Z"'`,
    ]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
  });

  it('tells the same version released twice apart by its start, and quotes a name that is not plain text', async () => {
    const again = { ...V3, version: 'v3\nrm -rf /', started: '2026-11-28T12:00:00.000Z' };
    const { file, code, stderr } = await analyze('v3-twice.jsonl', [look(1, V3), look(2, again)]);
    expect(stderr.trim().split('\n')).toEqual([
      `model-gate analyze: ${file}:2: release: fraud-detector "v3\\nrm -rf /" (started 2026-11-28T12:00:00.000Z), but line 1 is fraud-detector v3 (started 2026-11-28T10:00:00.000Z): one release per file; split it, e.g. grep -F '"started":"2026-11-28T12:00:00.000Z"'`,
    ]);
    expect(code).toBe(3);
  });

  it("replays a log whose older lines name no release (written before lines did) beside one release's", async () => {
    const { code, stdout, stderr } = await analyze('upgraded.jsonl', [
      look(1),
      look(2, V3),
      look(3),
      look(4, V3),
    ]);
    expect(stderr).toBe('');
    expect(stdout).toContain('errors (ratio)');
    expect(code).toBe(4); // healthy, not yet decided: waiting
  });
});
