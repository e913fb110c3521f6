import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, useCliRunWorld } from '../support/cli-run-world.js';
import { failedReleaseLog, type RecordedLook } from '../support/observation-release.js';

// SPEC §4: `model-gate analyze` re-checks a release's decision after the fact, on the observation log
// the release wrote. `model-gate run release` of v3 (12% errors on the sandbox) keeps one beside its
// ledger, and analyze reads it as written: the failing gate fails at the look the release failed on,
// on the same evidence.
vi.setConfig({ testTimeout: 90_000 });
const world = useCliRunWorld();

const GATES = `
      - { name: errors, kind: ratio, events: errors, max-increase: 10% }
      - { name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }
      - { name: split, kind: srm }`;

it("writes every judged look of a release to a log that analyze replays to the release's decision", async () => {
  const { repo, release, gate, file, lines } = await failedReleaseLog(world, GATES);
  const recorded = gate('errors').last as RecordedLook;
  expect(recorded.verdict).toBe('fail');

  // Each gate's looks, in the step they were taken in, at its configured split; no query in them.
  expect(new Set(lines.map((l) => l.gate))).toEqual(new Set(['errors', 'p95', 'split']));
  // Each names its release, so that another release's log `cat` after it is refused (below).
  const named = { model: CLI_MODEL, version: 'v3', started: new Date(release.startedAt).toISOString() };
  for (const line of lines) expect(line).toMatchObject({ step: 'step 1 of 2', split: 0.1, release: named });
  expect(readFileSync(file, 'utf8')).not.toContain('error-rate');

  const analyzed = await runCli(repo.dir, ['analyze', file, '--json']);
  expect(analyzed.code, analyzed.stderr).toBe(1);
  const report = JSON.parse(analyzed.stdout);
  const errors = report.gates.find((g: { gate: string }) => g.gate === 'errors');
  // The release's split of alpha: three gates of one model.
  expect(errors.alpha).toBeCloseTo(0.05 / 3, 12);
  expect(errors.decided.verdict).toBe('fail');
  expect(Date.parse(errors.decided.time)).toBe(recorded.at);
  const look = errors.looks.find((l: { line: number }) => l.line === errors.decided.line);
  expect(look.evidence.effect).toBe(recorded.evidence?.effect);
  expect(Number(look.evidence.eValue)).toBe(recorded.evidence?.eValue ?? Number.POSITIVE_INFINITY);

  // docs/observations.md has a release's per-job files `cat` together: a log of v2 released after
  // this one, cat after it, was replayed as one release (v2's looks in v3's "step 1 of 2"). An
  // exit code 3 and one line naming both releases, never a verdict.
  const later = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();
  const v2 = { ...named, version: 'v2', started: later(named.started) };
  const theirs = lines.map((l) => JSON.stringify({ ...l, time: later(l.time), release: v2 }));
  const mixed = join(repo.dir, 'mixed.jsonl');
  writeFileSync(mixed, `${readFileSync(file, 'utf8')}${theirs.join('\n')}\n`);
  const refused = await runCli(repo.dir, ['analyze', mixed]);
  expect(refused.code, refused.stdout + refused.stderr).toBe(3);
  expect(refused.stderr.trim().split('\n')).toEqual([
    `model-gate analyze: ${mixed}:${lines.length + 1}: release: ${CLI_MODEL} v2 (started ${v2.started}), but line 1 is ${CLI_MODEL} v3 (started ${named.started}): one release per file; split it, e.g. grep -F '"started":"${v2.started}"'`,
  ]);
  expect(refused.stdout).toBe('');
});
