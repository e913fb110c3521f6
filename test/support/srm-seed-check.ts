import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { stickyPoint } from '../../src/sandbox/router.js';
import { userIdDraws } from '../../src/sandbox/traffic.js';
import { judgeConversion } from '../../src/stats/conversion.js';
import { judgeSrm } from '../../src/stats/srm.js';

/**
 * Where a seeded traffic stream fails a good candidate's A/B split check by chance. The users of
 * `userIdDraws(seed, userIds)` go to the candidate when `stickyPoint(user) < split`, as the
 * sandbox routes them; an A/B phase that starts at request `s` has the srm gate count the distinct
 * users per arm over requests [s, s + k) at each look k = lookEvery, 2·lookEvery, … up to
 * `horizon` (its window from the phase's start), judged by judgeSrm at the gate's alpha. Any
 * stream has such stretches (the check's alpha); a demo or test on a fixed seed must start its
 * A/B outside them.
 */
export interface SeededAbPhases {
  seed: number;
  userIds: number;
  /** The candidate's share of users in percent (the A/B config's `split`). */
  split: number;
  /** The srm gate's alpha (after the config's split across gates) and max-mismatch. */
  alpha: number;
  maxMismatch: number;
  /** Starts checked: every request offset from 0 to this one. */
  lastStart: number;
  /** Requests between two looks. */
  lookEvery: number;
  /** Requests from the phase's start to its last look. */
  horizon: number;
}

/** Starts [from, to] (request offsets) whose phase the split check fails, first at `look` requests in. */
export interface FailingStretch {
  from: number;
  to: number;
  look: number;
}

/**
 * How the example A/B config (examples/sandbox/strategies/ab.yml, which the demo and the e2e test
 * play) checks its split on traffic of `rps` requests a second: its split, the srm gate's alpha and
 * max-mismatch, a look each `interval`, and looks until the conversion gate's planned sample at
 * `conversionRate` is complete (judgeConversion's size, on both arms; +10% for the arrivals'
 * noise), at most the step-duration.
 */
export async function exampleAbLooks(
  rps: number,
  conversionRate: number,
): Promise<Omit<SeededAbPhases, 'seed' | 'userIds' | 'lastStart'>> {
  const file = join(demoModelsDir, '..', 'strategies', 'ab.yml');
  const { config } = await loadConfig(file, { SANDBOX_URL: 'http://127.0.0.1:9' });
  const model = Object.values(config.models)[0];
  const srm = model?.gates.find((g) => g.kind === 'srm');
  const conversion = model?.gates.find((g) => g.kind === 'conversion');
  if (model?.strategy.type !== 'ab' || !srm || !conversion)
    throw new Error(`${file}: not an A/B with srm and conversion gates`);
  const { split, intervalMs, stepDurationMs } = model.strategy;
  const arm = { conversions: Math.round(conversionRate * 10_000), total: 10_000 };
  const planned = judgeConversion({
    canary: arm,
    baseline: arm,
    direction: conversion.direction,
    margin: conversion.margin,
    alpha: conversion.alpha,
    mde: conversion.mde,
    power: conversion.power,
  }).evidence.sampleSize;
  if (planned === undefined) throw new Error(`no planned sample at conversion rate ${conversionRate}`);
  const lookEvery = Math.round((rps * intervalMs) / 1000);
  const sample = Math.ceil((1.1 * planned * 100) / split / lookEvery) * lookEvery;
  return {
    split,
    alpha: srm.alpha,
    maxMismatch: srm.maxMismatch,
    lookEvery,
    horizon: Math.min(sample, Math.floor((rps * stepDurationMs) / 1000)),
  };
}

export function srmFailingStarts(p: SeededAbPhases): FailingStretch[] {
  const windows = slidingWindows(p);
  const most = p.horizon;
  // First the fewest and most candidate users seen at each total, so judgeSrm is asked twice per
  // total, not once per window: the counts it fails are two tails (see srmFails).
  const fewest = new Int32Array(most + 1).fill(most + 1);
  const mostSeen = new Int32Array(most + 1).fill(-1);
  windows((_s, _k, c, b) => {
    const total = c + b;
    if (c < (fewest[total] as number)) fewest[total] = c;
    if (c > (mostSeen[total] as number)) mostSeen[total] = c;
  });
  const { judged, fails } = srmFails(p, most);
  const failingTotals = new Uint8Array(most + 1);
  let any = false;
  for (let total = 1; total <= most; total++) {
    if ((mostSeen[total] as number) < 0) continue;
    const c = [fewest[total] as number, mostSeen[total] as number];
    if (c.some((x) => judged(x, total))) {
      failingTotals[total] = 1;
      any = true;
    }
  }
  if (!any) return [];
  const firstFail = new Int32Array(p.lastStart + 1);
  windows((s, k, c, b) => {
    if (firstFail[s] === 0 && failingTotals[c + b] && fails(c, b)) firstFail[s] = k;
  });
  const stretches: FailingStretch[] = [];
  for (let s = 0; s <= p.lastStart; s++) {
    const look = firstFail[s] as number;
    if (look === 0) continue;
    const last = stretches.at(-1);
    if (last && last.to === s - 1) {
      last.to = s;
      last.look = Math.min(last.look, look);
    } else stretches.push({ from: s, to: s, look });
  }
  return stretches;
}

/**
 * Visits every phase start s and look k with the distinct users per arm in requests [s, s + k):
 * c on the candidate's, b on the stable one.
 */
function slidingWindows(p: SeededAbPhases) {
  const looks = Array.from({ length: Math.floor(p.horizon / p.lookEvery) }, (_, i) => (i + 1) * p.lookEvery);
  const n = p.lastStart + 1 + p.horizon;
  const { user, candidate } = drawUsers(p, n);
  // Where each request's user came last before it, and comes next after it.
  const prev = new Int32Array(n);
  const next = new Int32Array(n).fill(n);
  const lastAt = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const u = user[i] as number;
    const before = lastAt.get(u);
    prev[i] = before ?? -1;
    if (before !== undefined) next[before] = i;
    lastAt.set(u, i);
  }
  const onCandidate = (i: number) => candidate[user[i] as number] === 1;
  return (visit: (s: number, k: number, c: number, b: number) => void) => {
    for (const k of looks) {
      let c = 0;
      let b = 0;
      const add = (i: number, by: number) => {
        if (onCandidate(i)) c += by;
        else b += by;
      };
      for (let i = 0; i < k; i++) if ((prev[i] as number) < 0) add(i, 1);
      for (let s = 0; s <= p.lastStart; s++) {
        visit(s, k, c, b);
        // Slide by one: request s leaves (its user too, unless it comes again), s + k comes.
        if ((next[s] as number) >= s + k) add(s, -1);
        if ((prev[s + k] as number) <= s) add(s + k, 1);
      }
    }
  };
}

/** Each request's user (as a number), and whether each user is on the candidate's arm. */
function drawUsers(p: SeededAbPhases, n: number) {
  const next = userIdDraws(p.seed, p.userIds);
  const ids = new Map<string, number>();
  const candidate: number[] = [];
  const user = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const id = next();
    let u = ids.get(id);
    if (u === undefined) {
      u = ids.size;
      ids.set(id, u);
      candidate.push(stickyPoint(id) < p.split ? 1 : 0);
    }
    user[i] = u;
  }
  return { user, candidate };
}

/**
 * judgeSrm's verdict on (candidate, stable) users. Its e-value is log-convex in the candidate's
 * count at a fixed total, so the counts it fails are two tails, [0, low] and [high, total]: found
 * per total on first use by asking judgeSrm itself, walking from the last total's tails (judgeSrm
 * takes about 0.1 ms: asked at every count it would take minutes).
 */
function srmFails(p: SeededAbPhases, most: number) {
  const share = p.split / 100;
  const expected = [share, 1 - share];
  const fails = (c: number, total: number) =>
    judgeSrm({ observed: [c, total - c], expected, alpha: p.alpha, maxMismatch: p.maxMismatch }).verdict ===
    'fail';
  const low = new Int32Array(most + 1);
  const high = new Int32Array(most + 1);
  const known = new Uint8Array(most + 1);
  let last = { total: 0, lo: -1, hi: 1 };
  const tails = (total: number) => {
    const centre = total * share;
    const shift = (total - last.total) * share;
    let lo = last.lo < 0 ? -1 : Math.min(Math.round(last.lo + shift), Math.ceil(centre) - 1);
    let hi = last.hi > last.total ? total + 1 : Math.max(Math.round(last.hi + shift), Math.floor(centre) + 1);
    while (lo + 1 < centre && fails(lo + 1, total)) lo++;
    while (lo >= 0 && !fails(lo, total)) lo--;
    while (hi - 1 > centre && fails(hi - 1, total)) hi--;
    while (hi <= total && !fails(hi, total)) hi++;
    low[total] = lo;
    high[total] = hi;
    known[total] = 1;
    last = { total, lo, hi };
  };
  return {
    /** judgeSrm on `c` candidate users of `total`. */
    judged: fails,
    /** The same, from the tails of c + b (a few judgeSrm calls for the total's first ask). */
    fails: (c: number, b: number) => {
      const total = c + b;
      if (total === 0) return false;
      if (!known[total]) tails(total);
      return c <= (low[total] as number) || c >= (high[total] as number);
    },
  };
}
