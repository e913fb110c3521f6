import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Reference values written by scripts/reference/generate.py (Debian's scipy / numpy). */
// biome-ignore lint/suspicious/noExplicitAny: the JSON's shape is the script's, read per test
export function reference(name: string): any {
  return JSON.parse(readFileSync(new URL(`./reference/${name}.json`, import.meta.url), 'utf8'));
}

/** |actual − expected| ≤ rel × max(1, |expected|). */
export function close(actual: number, expected: number, rel = 1e-9): void {
  const scale = Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * scale);
}

/** Relative closeness for values that may be tiny. */
export function closeRel(actual: number, expected: number, rel = 1e-9): void {
  if (expected === 0) {
    expect(Math.abs(actual)).toBeLessThanOrEqual(rel);
    return;
  }
  expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel);
}
