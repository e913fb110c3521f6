/**
 * Splitting a release's false-alarm budget across its gates. Bonferroni: each of k gates is
 * judged at alpha / k, so the chance that any of them fires on a healthy candidate is at most
 * alpha (a union bound: no assumption about how the gates' metrics depend on each other).
 */
export function bonferroni(alpha: number, gates: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  return gates <= 1 ? alpha : alpha / gates;
}
