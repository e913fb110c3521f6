/**
 * The fail-side evidence a count gate carries from step to step. Each step's e-process for "a
 * regression beyond the tolerance" starts at the step's start; stopped at the step's end (a
 * stopping time), the product of the steps' e-values is still an e-process under "no regression"
 * (test martingales concatenated at stopping times), so a release of many steps fails a healthy
 * candidate with probability at most alpha, not alpha per step.
 */

/**
 * The product carried into the next step: what was carried into this one (absent: 1) times the
 * fail-side e-value of this step's latest judged look; unchanged by a step without one.
 */
export function carriedAfter(carried: number | undefined, eFail: number | undefined): number | undefined {
  if (eFail === undefined || !Number.isFinite(eFail) || eFail < 0) return carried;
  const product = (carried ?? 1) * eFail;
  return product === 1 ? undefined : product;
}

/**
 * The level a step's fail side is judged at: carried × E ≥ 1/alpha exactly when E ≥ 1/(alpha ×
 * carried). The pass side stays at alpha in every step.
 */
export function failAlpha(alpha: number, carried: number | undefined): number {
  return carried === undefined || !Number.isFinite(carried) || carried < 0 ? alpha : alpha * carried;
}
