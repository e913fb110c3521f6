/** Percentages as users write them: `10%`, `12.5%`, `0%`. */
export const PERCENT_PATTERN = /^(\d{1,9}(?:\.\d{1,9})?)%$/;

/** A percentage of at most 100%, for the JSON Schema. */
export const PERCENT_AT_MOST_100_PATTERN = /^(?:100(?:\.0{1,9})?|\d{1,2}(?:\.\d{1,9})?)%$/;

/** A fraction (`10%` -> 0.1, `12.5%` -> 0.125), or undefined when the text is not a percentage. */
export function parsePercent(text: string): number | undefined {
  const match = PERCENT_PATTERN.exec(text);
  if (!match) return undefined;
  // Shifting the decimal point in the text keeps `7%` exactly 0.07 (no 7 / 100 rounding surprise).
  return Number(`${match[1]}e-2`);
}

/** The reverse of `parsePercent`, for messages: 0.125 -> `12.5%`. */
export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(12))}%`;
}

/**
 * What to write instead of a percent number where a fraction is meant: 5 -> `write 0.05 for 5%`.
 * Only for 1 < n <= 100, where reading n as a percent is the likely mistake; undefined otherwise.
 */
export function fractionHint(n: number): string | undefined {
  if (!(n > 1 && n <= 100)) return undefined;
  return `write ${Number((n / 100).toPrecision(12))} for ${n}%`;
}
