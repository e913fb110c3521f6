/** Poisson and binomial draws on the project's seeded generator (src/core/random.ts). */
import type { Random } from '../src/core/random.js';

const LOG_FACT = new Float64Array(256);
for (let i = 1; i < LOG_FACT.length; i++) LOG_FACT[i] = (LOG_FACT[i - 1] as number) + Math.log(i);

function logFactorial(k: number): number {
  if (k < LOG_FACT.length) return LOG_FACT[k] as number;
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** Poisson(mean): inversion below 10, Hörmann's PTRS transformed rejection above (exact both ways). */
export function poisson(rng: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 10) {
    let p = Math.exp(-mean);
    let f = p;
    let k = 0;
    const u = rng.next();
    while (u > f && k < 1000) {
      k++;
      p *= mean / k;
      f += p;
    }
    return k;
  }
  const smu = Math.sqrt(mean);
  const b = 0.931 + 2.53 * smu;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  const logMean = Math.log(mean);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v * invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k))
      return k;
  }
}

/** Binomial(n, p) by inversion (n p stays below ~50 in this simulation). */
export function binomial(rng: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  const q = 1 - p;
  const ratio = p / q;
  let pk = q ** n;
  if (pk < 1e-300) {
    // Not reached with this simulation's sizes; a normal approximation keeps it total.
    const x = Math.round(n * p + Math.sqrt(n * p * q) * rng.normal());
    return Math.min(n, Math.max(0, x));
  }
  let f = pk;
  let k = 0;
  const u = rng.next();
  while (u > f && k < n) {
    pk *= (ratio * (n - k)) / (k + 1);
    k++;
    f += pk;
  }
  return k;
}

/**
 * Binomial(n, p) for splitting a minute's counts across histogram buckets: exact inversion
 * below 30 expected, a rounded normal above (only where a bucket holds hundreds of requests,
 * far from the quantiles any method reads).
 */
export function binomialSplit(rng: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const mean = n * p;
  if (Math.min(mean, n - mean) < 30) return binomial(rng, n, p);
  const x = Math.round(mean + Math.sqrt(mean * (1 - p)) * rng.normal());
  return Math.min(n, Math.max(0, x));
}
