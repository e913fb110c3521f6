/**
 * The variance of Δ̂ = p̂c − f·p̂b that the conversion judge's test of "pc = f·pb" uses.
 *
 * At f = 1 (no margin) both arms have one rate under the null, and the pooled rate is its
 * estimate: V = p̄(1 − p̄)(1/nc + 1/nb). At f ≠ 1 (a non-inferiority margin, or a lift the
 * interval tests) the rates differ under the null, and the pooled rate misstates the candidate's
 * variance: with a baseline of 90% carrying most of the traffic, a candidate at 45% varies like
 * 0.2475 per request, not the pool's 0.09, so a candidate exactly at the margin passed far more
 * often than alpha. There the variance is taken at the maximum-likelihood rates restricted to the
 * null, pc = f·pb (Farrington & Manning, Statistics in Medicine 9, 1990, the usual test of a
 * ratio of proportions for non-inferiority). At f = 1 those restricted rates are the pooled one,
 * so the two agree where they meet.
 */

/**
 * The maximum-likelihood rates [pc, pb] of xc of nc and xb of nb conversions under pc = f·pb
 * (f ≥ 0): the smaller root of N f p² − (nc f + xc + nb + xb f) p + (xc + xb) = 0 for pb, the one
 * inside [0, min(1, 1/f)]. Counts may be fractional (the sample-size plan passes expected ones).
 */
export function restrictedRates(xc: number, nc: number, xb: number, nb: number, f: number): [number, number] {
  const a = (nc + nb) * f;
  const b = nc * f + xc + nb + xb * f;
  const c = xc + xb;
  // 2c / (b + √(b² − 4ac)) is the smaller root without cancellation, and c / b when a = 0 (f = 0).
  const pb = (2 * c) / (b + Math.sqrt(Math.max(0, b * b - 4 * a * c)));
  return [f * pb, pb];
}

/**
 * The variance of p̂c − f·p̂b under the null pc = f·pb: pooled at f = 1, at the restricted rates
 * otherwise. It is 0 only at f = 0, where the null puts the candidate at exactly 0 (the limit as
 * f → 0: one conversion refutes it; the caller reads it so). Where the restricted rates give no
 * finite variance (f < 0, a margin beyond 100%: no rates satisfy the null) it is the observed
 * rates' (unpooled), and where that is 0 the pooled one.
 */
export function nullVariance(xc: number, nc: number, xb: number, nb: number, f: number): number {
  const pooled = (xc + xb) / (nc + nb);
  const pooledVariance = pooled * (1 - pooled) * (1 / nc + (f * f) / nb);
  if (f === 1) return pooledVariance;
  const spread = (pc: number, pb: number) => (pc * (1 - pc)) / nc + (f * f * pb * (1 - pb)) / nb;
  if (f >= 0) {
    const restricted = spread(...restrictedRates(xc, nc, xb, nb, f));
    if (restricted >= 0 && Number.isFinite(restricted)) return restricted;
  }
  const unpooled = spread(xc / nc, xb / nb);
  if (unpooled > 0 && Number.isFinite(unpooled)) return unpooled;
  return pooledVariance;
}
