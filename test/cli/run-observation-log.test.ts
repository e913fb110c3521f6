import { readFileSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { useCliRunWorld } from '../support/cli-run-world.js';
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
  const { repo, gate, file, lines } = await failedReleaseLog(world, GATES);
  const recorded = gate('errors').last as RecordedLook;
  expect(recorded.verdict).toBe('fail');

  // Each gate's looks, in the step they were taken in, at its configured split; no query in them.
  expect(new Set(lines.map((l) => l.gate))).toEqual(new Set(['errors', 'p95', 'split']));
  for (const line of lines) expect(line).toMatchObject({ step: 'step 1 of 2', split: 0.1 });
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
});
