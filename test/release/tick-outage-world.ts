import type { MetricSource } from '../../src/metrics/source.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudCanaryYaml } from '../support/model-config.js';

export const HOUR = 3_600_000;

/**
 * PR #7's release of fraud v1 → v2 on `strategy` and `gates` (YAML flow maps) under `mode: tick`:
 * `open` is the PR's job (it deploys the candidate), `tick` one schedule tick returning the
 * release as it left it. `metrics` answers every look; its `failing` is an outage.
 */
export async function tickedRelease<M extends MetricSource & { failing: boolean }>(
  strategy: string,
  gates: string[],
  metrics: M,
) {
  const yaml = fraudCanaryYaml(`    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}`).join('\n')}
`);
  const w = await fraudPr({ yaml });
  const ports = { ...w.ports, metricsFor: () => metrics };
  const open = async () =>
    (await handlePullRequest(w.config, w.event(), ports, { mode: 'tick', maxWaitMs: HOUR, dryRun: false }))
      .releases[0];
  const tick = async () =>
    (await handleSchedule(w.config, ports, { mode: 'tick', maxWaitMs: 0 })).releases[0];
  return { ...w, metrics, open, tick };
}

/** A 14-day 50/50 A/B by user, judged on split (SRM) and a conversion gate (FakeCounts' converted users: its errors). */
export const abStrategy =
  '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 14d, min-requests: 200, interval: 1m }';
export const abGates = [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
];

/** Both arms alike (30% errors, 40ms) at `rps` candidate/stable users a second: no winner to find. */
export const evenArms = (rps: number) =>
  new FakeCounts({
    stable: { rps, errorRate: 0.3, medianMs: 40 },
    canary: { rps, errorRate: 0.3, medianMs: 40 },
  });
