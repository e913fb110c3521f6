import { describe, expect, it } from 'vitest';
import { configChangeNotes } from '../../src/release/config-change-note.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { fraudCanaryYaml, sha } from '../support/model-config.js';

// The note on a PR's own release config (config-change-note.ts) is cut to fit: what loosens the
// release (on-merge, must-have-data, allow-forks, a gate removed, a bound eased, where the metrics
// or the version come from) is listed first, and every change is at least named, so trivial edits
// cannot push the one a reviewer must see into "and 1 more". Base sha(2), head sha(3).

const CONFIG_FILE = '.github/model-gate.yml';

/** Gates g1..g`count`, each `max: <max>`. */
const gates = (count: number, max: string) =>
  `    gates:\n${Array.from({ length: count }, (_, i) => `      - { name: g${i + 1}, kind: threshold, query: error-rate, max: ${max} }\n`).join('')}`;

async function noteOn(base: string, head: string): Promise<string[]> {
  const reader = memoryFileReader({ [sha(2)]: { [CONFIG_FILE]: base }, [sha(3)]: { [CONFIG_FILE]: head } });
  const notes = await configChangeNotes(
    reader,
    { base: sha(2), head: sha(3) },
    ['fraud'],
    CONFIG_FILE,
    { info() {}, warn() {} },
    new Set([CONFIG_FILE]),
  );
  return notes.map((n) => n.why);
}

describe('a PR that buries on-merge under trivial gate edits', () => {
  it('lists the on-merge change first, with its values, and names every other change', async () => {
    const base = fraudCanaryYaml(gates(6, '0.02'));
    const head = fraudCanaryYaml(`    on-merge: analyze-then-promote\n${gates(6, '0.0200001')}`);
    expect(await noteOn(base, head)).toEqual([
      'this PR changes its release config: on-merge require-pass → analyze-then-promote; ' +
        'gate "g1" max 0.02 → 0.0200001; gate "g2" max 0.02 → 0.0200001; gate "g3" max 0.02 → 0.0200001; ' +
        'gate "g4" max 0.02 → 0.0200001; gate "g5" max 0.02 → 0.0200001; and 1 more: gate "g6" max',
    ]);
  });

  it('puts a gate eased before ones tightened, and a removed gate before both', async () => {
    const base = fraudCanaryYaml(gates(8, '0.02'));
    // g1..g6 tightened, g7 eased, g8 dropped.
    const head = fraudCanaryYaml(
      `${gates(6, '0.01')}      - { name: g7, kind: threshold, query: error-rate, max: 0.5 }\n`,
    );
    expect(await noteOn(base, head)).toEqual([
      'this PR changes its release config: gate "g8" removed; gate "g7" max 0.02 → 0.5; ' +
        'gate "g1" max 0.02 → 0.01; gate "g2" max 0.02 → 0.01; gate "g3" max 0.02 → 0.01; ' +
        'gate "g4" max 0.02 → 0.01; and 2 more: gate "g5" max, gate "g6" max',
    ]);
  });
});

describe('a PR that changes what was never compared', () => {
  it('says it allows fork PRs to deploy', async () => {
    const base = fraudCanaryYaml(gates(1, '0.02'), 'allow-forks: false\n');
    const head = fraudCanaryYaml(gates(1, '0.02'), 'allow-forks: true\n');
    expect(await noteOn(base, head)).toEqual([
      'this PR changes its release config: allow-forks false → true',
    ]);
  });

  it('says it moves where the version is declared', async () => {
    const base = fraudCanaryYaml(gates(1, '0.02'));
    const head = fraudCanaryYaml(gates(1, '0.02')).replace(
      'source: { file: fraud.yaml, key: version }',
      'source: { file: other/fraud.yaml, key: model.version }',
    );
    expect(await noteOn(base, head)).toEqual([
      'this PR changes its release config: source file fraud.yaml → other/fraud.yaml, key version → model.version',
    ]);
  });

  it('keeps the metrics source in view past many other changes', async () => {
    const base = fraudCanaryYaml(gates(7, '0.02'));
    const head = fraudCanaryYaml(
      `    metrics: { type: file, path: metrics/fraud.jsonl }\n${gates(7, '0.01')}`,
      'allow-forks: true\n',
    );
    const [note] = await noteOn(base, head);
    expect(note).toMatch(
      /^this PR changes its release config: metrics type sandbox → file, path unset → metrics\/fraud\.jsonl, url changed; allow-forks false → true; gate "g1" max 0\.02 → 0\.01; /,
    );
    expect(note).toMatch(/; and 3 more: gate "g5" max, gate "g6" max, gate "g7" max$/);
  });
});
