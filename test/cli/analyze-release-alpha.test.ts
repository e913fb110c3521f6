/**
 * A release writes the alpha it judged each look at on every line (its split over all the model's
 * gates, some of which write no line): `model-gate analyze` judges each look there, so its report
 * says that level, not a split of `--alpha` over the file's gates that no look used, and an
 * `--alpha` that changes nothing is said to.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from './analyze-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-release-alpha-'));

function log(name: string, lines: object[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return file;
}

/** A look of a release's ratio gate, as `model-gate run` writes it: with the release's alpha. */
const look = (gate: string, alpha?: number) => ({
  time: '2026-12-02T05:30:53.670Z',
  gate,
  kind: 'ratio',
  step: 'step 1 of 2',
  split: 0.1,
  failureLimit: 0,
  canary: { events: 2, total: 164 },
  baseline: { events: 9, total: 1328 },
  maxIncrease: 0.1,
  ...(alpha === undefined ? {} : { alpha }),
});

// 4 of its release's 5 gates wrote a line (a threshold gate writes none): each at 0.05 / 5.
const releaseLog = () =>
  log(
    'release.jsonl',
    ['errors', 'nulls', 'timeouts', 'fallbacks'].map((g) => look(g, 0.01)),
  );

describe("analyze on a release's log, whose lines carry their alpha", () => {
  it("says each look was judged at its line's alpha, not 0.05 split over the file's 4 gates", async () => {
    const file = releaseLog();
    const { out, err } = await analyze([file]);
    expect(out.split('\n')[0]).toBe(
      `${file}: 4 gates, each look at its line's alpha (0.01), as its release split it`,
    );
    expect(err).toEqual([]);
  });

  it('warns that an --alpha no line is judged at changes nothing, and prints the same report', async () => {
    const file = releaseLog();
    const without = await analyze([file]);
    const given = await analyze([file, '--alpha', '0.5']);
    expect(given.code).toBe(without.code);
    expect(given.out).toBe(without.out);
    expect(given.err).toEqual([
      `warning: ${file}: --alpha 0.5 changes nothing: the lines give their own alpha (0.01), the level their release judged them at; to judge at another, remove it from them (e.g. jq -c 'del(.alpha)')`,
    ]);
  });

  it("gives each gate the lines' alpha in --json, as its looks", async () => {
    const file = releaseLog();
    const { out } = await analyze([file, '--json']);
    const doc = JSON.parse(out) as {
      alpha: number;
      gates: { alpha?: number; looks: { alpha?: number }[] }[];
    };
    expect(doc.gates.map((g) => g.alpha)).toEqual([0.01, 0.01, 0.01, 0.01]);
    expect(doc.gates.flatMap((g) => g.looks.map((l) => l.alpha))).toEqual([0.01, 0.01, 0.01, 0.01]);
  });

  it('says which looks were judged at the split and which at their own, and does not warn of an --alpha some use', async () => {
    const file = log('mixed.jsonl', [look('errors', 0.01), look('nulls')]);
    const { out, err } = await analyze([file, '--alpha', '0.1']);
    expect(out.split('\n')[0]).toBe(
      `${file}: 2 gates, alpha 0.1 split to 0.05 each, a line's own alpha (0.01) where it gives one`,
    );
    expect(err).toEqual([]);
  });

  it('gives a gate whose looks were judged at different levels no alpha of its own in --json', async () => {
    const later = { ...look('errors'), time: '2026-12-02T05:31:53.670Z' };
    const file = log('two-levels.jsonl', [look('errors', 0.01), later]);
    const { out } = await analyze([file, '--json']);
    const [gate] = (JSON.parse(out) as { gates: { alpha?: number; looks: { alpha?: number }[] }[] }).gates;
    expect(gate).not.toHaveProperty('alpha');
    expect(gate?.looks.map((l) => l.alpha)).toEqual([0.01, 0.05]);
  });
});
