import { describe, expect, it } from 'vitest';
import { configChangeNotes } from '../../src/release/config-change-note.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';

// What a PR's note says it changes of a model's release config (config-change-note.ts), read from
// the config file at the PR's base (sha(2)) and head (sha(3)): its metrics source too, and a
// setting written another way that the loader reads as the same value is no change.

const CONFIG_FILE = '.github/model-gate.yml';

/** fraud's config: `defaults` and `fraud`'s own fields (YAML lines, indented for their place). */
const config = (defaults: string, fraud: string) => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
${defaults}models:
  fraud:
    source: { file: fraud.yaml, key: version }
${fraud}`;

const PROMETHEUS = `  metrics: { type: prometheus, url: "\${PROM_URL}", headers: { Authorization: "Bearer \${PROM_TOKEN}" } }\n`;
const STRATEGY = (steps: string, stepDuration: string, interval: string, minRequests = 100) =>
  `    strategy: { type: canary, steps: ${steps}, step-duration: ${stepDuration}, interval: ${interval}, min-requests: ${minRequests} }\n`;
const GATES = (maxIncrease: string) =>
  `    gates:\n      - { name: p99, kind: threshold, query: 'latency_p99{slot="{{slot}}"}', max-increase: ${maxIncrease} }\n`;

/** The note on fraud when the PR moves its config from `base` to `head`. */
async function notesOn(base: string, head: string): Promise<string[]> {
  const reader = memoryFileReader({ [sha(2)]: { [CONFIG_FILE]: base }, [sha(3)]: { [CONFIG_FILE]: head } });
  const log = { info() {}, warn() {} };
  const refs = { base: sha(2), head: sha(3) };
  const notes = await configChangeNotes(reader, refs, ['fraud'], CONFIG_FILE, log, new Set([CONFIG_FILE]));
  return notes.map((n) => `${n.model}: ${n.why}`);
}

describe('a PR that repoints its metrics source', () => {
  it('says so, hiding the URL and the headers as for a target', async () => {
    const base = config(PROMETHEUS, STRATEGY('[10, 50]', '1m', '10s') + GATES('10%'));
    // To a file the PR itself supplies: its gates judge whatever the PR wrote in it.
    const head = config(
      PROMETHEUS,
      `    metrics: { type: file, path: metrics/fraud.jsonl }\n${STRATEGY('[10, 50]', '1m', '10s')}${GATES('10%')}`,
    );
    expect(await notesOn(base, head)).toEqual([
      'fraud: this PR changes its release config: metrics type prometheus → file, path unset → metrics/fraud.jsonl, url changed, headers changed',
    ]);
  });
});

describe('a PR that writes a setting another way', () => {
  it('says nothing where the loader reads the same values: durations, percentages, steps', async () => {
    const base = config(PROMETHEUS, STRATEGY('[10, 50]', '1m', '10s') + GATES('10%'));
    const head = config(PROMETHEUS, STRATEGY('["10%", "50%"]', '60s', '10000ms') + GATES('10.0%'));
    expect(await notesOn(base, head)).toEqual([]);
  });

  it('names what does change, with its values as written', async () => {
    const base = config(PROMETHEUS, STRATEGY('[10, 50]', '1m', '10s') + GATES('10%'));
    const head = config(PROMETHEUS, STRATEGY('["10%", "50%"]', '90s', '10000ms', 200) + GATES('12.5%'));
    expect(await notesOn(base, head)).toEqual([
      'fraud: this PR changes its release config: gate "p99" max-increase 10% → 12.5%; strategy step-duration 1m → 90s, min-requests 100 → 200',
    ]);
  });
});
