/** From runs to figures: rates with Wilson intervals, and medians counting misses as never. */

import { normalQuantile } from '../src/stats/special.js';
import { FIXED_HORIZON_DESIGN, fixedHorizonSize } from './methods.js';
import { type GateName, SCENARIOS, type Scenario, SHARES, TICK_SECONDS } from './model.js';
import type { MethodName, RunResult } from './run.js';

/** Wilson score interval for a binomial proportion (95%). */
export function wilson(k: number, n: number, confidence = 0.95): [number, number] {
  if (n === 0) return [0, 1];
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The q-quantile of values where a miss counts as +∞: undefined unless enough runs detected. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const v = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
  return Number.isFinite(v) ? v : undefined;
}

const minutes = (tick: number) => ((tick + 1) * TICK_SECONDS) / 60;

export interface Row {
  scenario: string;
  label: string;
  share: number;
  method: MethodName;
  gate: string;
  runs: number;
  /** Failures: false alarms under the null, detections otherwise. */
  failed: number;
  rate: number;
  wilson: [number, number];
  medianRequests?: number;
  p90Requests?: number;
  medianMinutes?: number;
  p90Minutes?: number;
  /** Among the runs that failed only. */
  medianRequestsWhenFailed?: number;
  /** Ours: runs that ended early as "no regression beyond tolerance", and when (median). */
  passed?: number;
  medianPassMinutes?: number;
}

function rowOf(
  s: Scenario,
  share: number,
  method: MethodName,
  gate: string,
  runs: RunResult[],
): Row | undefined {
  const outcomes = runs.map((r) => {
    const gates = r[method];
    if (!gates) return undefined;
    if (gate !== 'any') return gates[gate];
    // Any gate: the first failure of any of them.
    let first: [number, number, number, number] = [-1, -1, -1, -1];
    for (const o of Object.values(gates)) if (o[0] >= 0 && (first[0] < 0 || o[0] < first[0])) first = o;
    return first;
  });
  if (outcomes.some((o) => o === undefined)) return undefined;
  const os = outcomes as [number, number, number, number][];
  const failed = os.filter((o) => o[0] >= 0);
  const requests = os.map((o) => (o[0] >= 0 ? o[1] : Number.POSITIVE_INFINITY));
  const mins = os.map((o) => (o[0] >= 0 ? minutes(o[0]) : Number.POSITIVE_INFINITY));
  const passes = os.filter((o) => o[0] < 0 && o[2] >= 0).map((o) => minutes(o[2]));
  const row: Row = {
    scenario: s.id,
    label: s.label,
    share,
    method,
    gate,
    runs: os.length,
    failed: failed.length,
    rate: failed.length / os.length,
    wilson: wilson(failed.length, os.length),
    medianRequests: quantile(requests, 0.5),
    p90Requests: quantile(requests, 0.9),
    medianMinutes: quantile(mins, 0.5),
    p90Minutes: quantile(mins, 0.9),
    medianRequestsWhenFailed: quantile(
      failed.map((o) => o[1]),
      0.5,
    ),
  };
  if (method === 'ours' || method === 'ours-release') {
    row.passed = passes.length;
    row.medianPassMinutes = quantile(
      os.map((o) => (o[0] < 0 && o[2] >= 0 ? minutes(o[2]) : Number.POSITIVE_INFINITY)),
      0.5,
    );
  }
  return row;
}

const METHODS: MethodName[] = ['ours', 'kayenta', 'threshold', 'fixed', 'oracle'];

export interface SrmRow {
  share: number;
  runs: number;
  flagged: number;
  /** Flagged before any metric gate of ours reached a verdict (passes count once the split is verified). */
  flaggedFirst: number;
  /** The same, counting a metric gate's own pass even before the split was verified. */
  flaggedFirstRaw: number;
  medianRequests?: number;
  medianMinutes?: number;
}

function srmRow(share: number, runs: RunResult[]): SrmRow {
  let flagged = 0;
  let first = 0;
  let firstRaw = 0;
  const requests: number[] = [];
  const mins: number[] = [];
  for (const r of runs) {
    const ours = r.ours ?? {};
    const srm = ours.srm ?? [-1, -1, -1, -1];
    requests.push(srm[0] >= 0 ? srm[1] : Number.POSITIVE_INFINITY);
    mins.push(srm[0] >= 0 ? minutes(srm[0]) : Number.POSITIVE_INFINITY);
    if (srm[0] < 0) continue;
    flagged++;
    const metric = Object.entries(ours).filter(([g]) => g !== 'srm');
    const earliest = (pick: (o: [number, number, number, number]) => number) =>
      Math.min(...metric.flatMap(([, o]) => [o[0], pick(o)].filter((t) => t >= 0)), Number.POSITIVE_INFINITY);
    if (srm[0] < earliest((o) => o[2])) first++;
    if (srm[0] < earliest((o) => o[3])) firstRaw++;
  }
  return {
    share,
    runs: runs.length,
    flagged,
    flaggedFirst: first,
    flaggedFirstRaw: firstRaw,
    medianRequests: quantile(requests, 0.5),
    medianMinutes: quantile(mins, 0.5),
  };
}

export interface DoneWhen {
  check: string;
  target: string;
  figure: string;
  met: boolean;
}

export interface Results {
  nullRows: Row[];
  rows: Row[];
  srm: SrmRow[];
  fixedHorizon: { gate: GateName; design: string; share: number; requests: number }[];
  doneWhen: DoneWhen[];
}

export function aggregate(all: Map<string, RunResult[]>): Omit<Results, 'doneWhen'> {
  const nullRows: Row[] = [];
  const rows: Row[] = [];
  const srm: SrmRow[] = [];
  for (const s of SCENARIOS) {
    SHARES.forEach((share, si) => {
      const runs = all.get(`${s.id}/${si}`);
      if (!runs) return;
      if (s.kind === 'null') {
        for (const method of METHODS) {
          for (const gate of [...s.gates, ...(method === 'ours' ? ['srm'] : []), 'any']) {
            const row = rowOf(s, share, method, gate, runs);
            if (row) nullRows.push(row);
          }
        }
        const release = rowOf(s, share, 'ours-release', 'any', runs);
        if (release) nullRows.push(release);
      } else if (s.kind === 'regression') {
        for (const method of METHODS) {
          const row = rowOf(s, share, method, s.gates[0] as string, runs);
          if (row) rows.push(row);
        }
      } else {
        srm.push(srmRow(share, runs));
      }
    });
  }
  const fixedHorizon = (['errors', 'nulls', 'p95', 'p99', 'conversion'] as GateName[]).flatMap((gate) =>
    SHARES.map((share) => ({
      gate,
      design: FIXED_HORIZON_DESIGN[gate],
      share,
      requests: fixedHorizonSize(gate, share),
    })),
  );
  return { nullRows, rows, srm, fixedHorizon };
}

export function doneWhen(r: Omit<Results, 'doneWhen'>, elapsedSeconds: number): DoneWhen[] {
  const out: DoneWhen[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const fpr = r.nullRows.filter(
    (x) => (x.method === 'ours' && x.gate !== 'any') || x.method === 'ours-release',
  );
  const worst = fpr.reduce((a, b) => (b.rate > a.rate ? b : a), fpr[0] as Row);
  out.push({
    check:
      'false positive rate of ours in every null scenario (per gate at alpha 0.05; whole release with alpha split)',
    target: '≤ 5%',
    figure: `highest ${pct(worst.rate)} (${worst.method} ${worst.gate} at ${pct(worst.share)} share, Wilson ${pct(worst.wilson[0])}–${pct(worst.wilson[1])})`,
    met: fpr.every((x) => x.rate <= 0.05),
  });
  const cell = (scenario: string, share: number, method: MethodName) =>
    r.rows.find((x) => x.scenario === scenario && x.share === share && x.method === method);
  // The oracle's figure beside ours: the best a sequential test told the true effect did there.
  const oracle = (scenario: string, share: number, per: number | undefined) => {
    const m = cell(scenario, share, 'oracle')?.medianRequests;
    return m === undefined || per === undefined ? '–' : `${(m / per).toFixed(2)}×`;
  };
  const ratios: { label: string; ratio: number; reference: string }[] = [];
  for (const row of r.rows.filter((x) => x.method === 'ours')) {
    const k = cell(row.scenario, row.share, 'kayenta');
    if (row.medianRequests === undefined || k?.medianRequests === undefined) continue;
    ratios.push({
      label: `${row.label} at ${pct(row.share)}`,
      ratio: row.medianRequests / k.medianRequests,
      reference: oracle(row.scenario, row.share, k.medianRequests),
    });
  }
  const worstK = ratios.reduce(
    (a, b) => (b.ratio > a.ratio ? b : a),
    ratios[0] ?? { label: '–', ratio: Number.NaN, reference: '–' },
  );
  out.push({
    check: "ours' median canary requests vs Kayenta-style, in every cell where both detect (median defined)",
    target: '≤ 0.5×',
    figure: `${ratios.length} cells; highest ${worstK.ratio.toFixed(2)}× (${worstK.label}; the SPRT told the true effect: ${worstK.reference})`,
    met: ratios.length > 0 && ratios.every((x) => x.ratio <= 0.5),
  });
  const fh = SHARES.map((share) => {
    const ours = cell('errors-2', share, 'ours')?.medianRequests;
    const n = r.fixedHorizon.find((x) => x.gate === 'errors' && x.share === share)?.requests ?? Number.NaN;
    return { share, ratio: ours === undefined ? Number.POSITIVE_INFINITY : ours / n, ours, n };
  });
  out.push({
    check: "ours' median canary requests vs the fixed-horizon sample size, errors 1% → 2%",
    target: '≤ 0.45×',
    figure:
      fh.map((x) => `${pct(x.share)}: ${x.ours ?? '–'} / ${x.n} = ${x.ratio.toFixed(2)}×`).join('; ') +
      ` (the SPRT told the true effect: ${fh.map((x) => oracle('errors-2', x.share, x.n)).join(', ')})`,
    met: fh.every((x) => x.ratio <= 0.45),
  });
  const p95 = SHARES.map((share) => ({ share, median: cell('p95-25', share, 'ours')?.medianRequests }));
  out.push({
    check: 'p95 latency +25%: median canary requests to detection, every share',
    target: '≤ 250',
    figure: p95.map((x) => `${pct(x.share)}: ${x.median ?? '–'}`).join('; '),
    met: p95.every((x) => x.median !== undefined && x.median <= 250),
  });
  out.push({
    check: 'sample ratio mismatch (share ×0.9) flagged before any metric verdict of ours',
    target: '≥ 95% of runs, every share',
    figure: r.srm.map((x) => `${pct(x.share)}: ${pct(x.flaggedFirst / x.runs)}`).join('; '),
    met: r.srm.length > 0 && r.srm.every((x) => x.flaggedFirst / x.runs >= 0.95),
  });
  out.push({
    check: 'benchmark wall time',
    target: '< 5 min',
    figure: `${Math.round(elapsedSeconds)} s`,
    met: elapsedSeconds < 300,
  });
  return out;
}
