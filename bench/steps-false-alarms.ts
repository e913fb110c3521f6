/**
 * `npx tsx bench/steps-false-alarms.ts [--runs N]`: false alarms and detection of one ratio gate
 * (`judge: sequential`) over a release of many steps, with and without the fail-side evidence
 * carried from step to step (src/stats/carried-evidence.ts, as tick.ts carries it).
 *
 * Setup: 600 requests a minute, 1% errors on both arms (healthy) or 3% on the candidate (a
 * regression), max-increase 10%, min-requests 100, alpha 0.05, a look every 30 s on exact counts
 * (cumulative since the step started, per arm as served). A step ends early on a pass, at its
 * 10-minute deadline otherwise; a fail ends the release. Seeded: the same runs every time.
 */
import { Random } from '../src/core/random.js';
import { carriedAfter } from '../src/stats/carried-evidence.js';
import { judgeCounts } from '../src/stats/counts.js';
import { binomial, poisson } from './sampling.js';

const RPM = 600;
const LOOK_SECONDS = 30;
const STEP_MINUTES = 10;
const MIN_REQUESTS = 100;
const ALPHA = 0.05;
const MAX_INCREASE = 0.1;
const BASE_RATE = 0.01;

const STRATEGIES: Record<string, number[]> = {
  'linear 10..90% × 10 min': [10, 20, 30, 40, 50, 60, 70, 80, 90],
  'canary 5/10/25/50 × 10 min': [5, 10, 25, 50],
};

interface Run {
  failed: boolean;
  /** Minutes since the release started, when it failed. */
  failedAt?: number;
}

function release(rng: Random, steps: number[], candidateRate: number, carry: boolean): Run {
  let carried: number | undefined;
  let minutes = 0;
  for (const weight of steps) {
    const c = { events: 0, total: 0 };
    const b = { events: 0, total: 0 };
    let eFail: number | undefined;
    const looks = (STEP_MINUTES * 60) / LOOK_SECONDS;
    for (let look = 1; look <= looks; look++) {
      const perLook = (RPM * LOOK_SECONDS) / 60;
      const cn = poisson(rng, (perLook * weight) / 100);
      const bn = poisson(rng, (perLook * (100 - weight)) / 100);
      c.total += cn;
      b.total += bn;
      c.events += binomial(rng, cn, candidateRate);
      b.events += binomial(rng, bn, BASE_RATE);
      if (c.total < MIN_REQUESTS) continue;
      const j = judgeCounts({
        canary: c,
        baseline: b,
        maxIncrease: MAX_INCREASE,
        alpha: ALPHA,
        ...(carry && carried !== undefined ? { carried } : {}),
      });
      eFail = j.evidence.eFail ?? eFail;
      if (j.verdict === 'fail') return { failed: true, failedAt: minutes + (look * LOOK_SECONDS) / 60 };
      if (j.verdict === 'pass') break;
    }
    if (carry) carried = carriedAfter(carried, eFail);
    minutes += STEP_MINUTES;
  }
  return { failed: false };
}

/** The 95% Wilson interval of k in n, in percent. */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959964;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n)) * 100;
  return [Math.max(0, centre * 100 - half), Math.min(100, centre * 100 + half)];
}

const rate = (k: number, n: number) => {
  const [lo, hi] = wilson(k, n);
  return `${((100 * k) / n).toFixed(2)}% [${lo.toFixed(2)}-${hi.toFixed(2)}]`;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function main() {
  const at = process.argv.indexOf('--runs');
  const runs = at >= 0 ? Number(process.argv[at + 1]) : 600;
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs: expected a positive whole number`);
  console.log(
    `${runs} runs each; ${RPM} rpm, ${BASE_RATE * 100}% errors on the baseline, max-increase ${MAX_INCREASE * 100}%, alpha ${ALPHA}, a look every ${LOOK_SECONDS} s, min-requests ${MIN_REQUESTS}`,
  );
  for (const [name, steps] of Object.entries(STRATEGIES)) {
    console.log(`\n${name}`);
    for (const carry of [false, true]) {
      // The same seeds with and without the carry: the same traffic, judged both ways.
      const healthy = Array.from({ length: runs }, (_, i) =>
        release(new Random(1000 + i), steps, BASE_RATE, carry),
      );
      const alarms = healthy.filter((r) => r.failed).length;
      const caughtAt = (factor: number) => {
        const regressed = Array.from({ length: runs }, (_, i) =>
          release(new Random(500_000 + i), steps, factor * BASE_RATE, carry),
        );
        const caught = regressed.filter((r) => r.failed);
        const median_ = median(caught.map((r) => r.failedAt as number));
        return `1% -> ${factor}% caught ${rate(caught.length, runs)}, median ${median_.toFixed(1)} min to fail`;
      };
      // 1.5%: a regression near the tolerance, where what healthy-looking steps carry costs power.
      console.log(
        `  carry ${carry ? 'on ' : 'off'}: false alarms ${rate(alarms, runs)}; ${caughtAt(3)}; ${caughtAt(1.5)}`,
      );
    }
  }
}

main();
