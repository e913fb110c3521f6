import { describe, expect, it } from 'vitest';
import type { MetricWindow } from '../../src/metrics/source.js';
import { waitingText } from '../../src/release/planned-sample.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// A key-split A/B on the sandbox counts users (exposed-users), which the comment called
// "exposures": a reviewer read "4,400 exposures" for 4,400 users. Where the gate counts users it
// says users; a query whose unit cannot be read (Prometheus) keeps the field's name, exposures.
// FakeCounts' users are its requests (one each), its converted users its errors.

const USERS_GATE =
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }';
const ab = (stepDuration: string, gate: string) =>
  configWith(`{ type: ab, split: 50, step-duration: ${stepDuration} }`, [
    '{ name: split, kind: srm, units: users }',
    gate,
  ]);
const equal = () =>
  new FakeCounts({
    stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 2, errorRate: 0.3, medianMs: 40 },
  });
const conversionOf = (r: Release) => r.gates.find((g) => g.name === 'conversion');
const grouped = (n: number | undefined) => (n ?? 0).toLocaleString('en-US');

describe('an A/B whose conversion gate counts users', () => {
  it('counts both arms in users in its row, and its cap in users in the row and the reason', async () => {
    const config = ab('20m', USERS_GATE);
    const end = await released(config, equal());
    expect(end.status).toBe('failed');
    const look = conversionOf(end)?.last;
    const reached = grouped(look?.canaryRequests);
    const size = grouped(look?.evidence?.sampleSize);
    const conversion = row(report(config, end), 'conversion (converted-users / exposed-users)');
    expect(conversion).toMatch(
      /^\| conversion \(converted-users \/ exposed-users\) \| 30\.00% \([\d,]+ users\) \| 30\.00% \([\d,]+ users\) \|/,
    );
    expect(conversion).toContain(
      `ended at the 20m step-duration cap with ${reached} of its ${size} planned candidate users (`,
    );
    expect(conversion).not.toContain('exposures');
    expect(end.reason).toContain(`(${reached} of ${size} candidate users, lift +0.0%)`);
  });

  it('says its planned sample in users when it fails there', async () => {
    const config = ab('3h', USERS_GATE);
    const end = await released(config, equal());
    const look = conversionOf(end)?.last;
    expect(end.reason).toBe(
      `no significant winner at the planned sample size at A/B 50/50 by x-user-id: conversion (${grouped(look?.canaryRequests)} of ${grouped(look?.evidence?.sampleSize)} candidate users, lift +0.0%)`,
    );
  });

  it('waits for its planned sample of users, and projects its end from 100 users', async () => {
    const config = ab('20m', USERS_GATE);
    const live = await released(config, equal(), { stop: (r) => r.updatedAt - r.startedAt >= 60_000 });
    const gate = conversionOf(live);
    if (!gate) throw new Error('no conversion gate');
    const span = { since: live.phaseStartedAt, capMs: 7 * 24 * 3_600_000 };
    const text = waitingText(gate, gate.last, span, config.models.fraud?.gates);
    expect(text).toMatch(/^conversion \([\d,]+ of [\d,]+ planned candidate users \([\d.]+%\); /);
    expect(text).toContain('its end is projected once the phase has 100 users and 10% of the planned sample');
  });
});

/** Prometheus's counters of conversions and exposures, per slot: what they count is not said. */
const PROMETHEUS = '{ type: prometheus, url: "http://127.0.0.1:1" }';
const QUERY_GATE = `{ name: conversion, kind: conversion, conversions: 'sum(increase(conversions_total{slot="{{slot}}"}[{{window}}]))', exposures: 'sum(increase(exposures_total{slot="{{slot}}"}[{{window}}]))' }`;
/** The sandbox target splits users by key: the split is checked in users (FakeCounters reads them as its requests). */
const USER_SPLIT = `{ name: split, kind: srm, units: 'count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0))' }`;

/** FakeCounts answering those counters: the exposures its requests, the conversions its errors. */
class FakeCounters extends FakeCounts {
  override async count(query: string, w: MetricWindow) {
    return super.count(query.includes('conversions_total') ? 'errors' : 'requests', w);
  }
}

describe('an A/B whose conversion gate counts what its queries count', () => {
  it('keeps calling its counts exposures', async () => {
    const config = configWith(
      '{ type: ab, split: 50, step-duration: 20m }',
      [USER_SPLIT, QUERY_GATE],
      '',
      PROMETHEUS,
    );
    const end = await released(config, new FakeCounters(equal().slots));
    expect(end.status).toBe('failed');
    const conversion = row(report(config, end), 'conversion (conversion)');
    expect(conversion).toMatch(/^\| conversion \(conversion\) \| 30\.00% \([\d,]+ exposures\) \|/);
    expect(conversion).toContain(' planned candidate exposures (');
    expect(end.reason).toMatch(/\(\d[\d,]* of [\d,]+ candidate exposures, lift \+0\.0%\)/);
  });
});
