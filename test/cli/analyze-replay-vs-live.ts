/**
 * Both sides of a replay-versus-live test: model `fraud`'s gates (parsed from YAML, as the
 * action reads them) looked at by the live watch's code path (lookAtGate) on a real `file`
 * metric source, and an observation log replayed by `model-gate analyze --json`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import { parseConfig } from '../../src/config/load.js';
import type { FileMetricsConfig, GateConfig } from '../../src/config/types.js';
import { lookAtGate } from '../../src/gates/live-gates.js';
import { fileSource } from '../../src/metrics/file-source.js';
import type { GateState, Measurement } from '../../src/release/types.js';
import { fraudLook } from '../support/fraud-on-source.js';

/** A folder with `metrics/`, where the live side's metric file and the logs are written. */
export function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'model-gate-analyze-live-'));
  mkdirSync(join(root, 'metrics'));
  return root;
}

/**
 * Model `fraud` on a 10% / 50% canary whose metrics are the file `metrics/<file>` under `root`,
 * judged by `gates` (YAML flow mappings): its gates as configured (alpha split among them) and a
 * look at one of them over [since, now) as the live watch takes it at `weight`% of traffic.
 */
export function liveFraud(root: string, file: string, gates: string[]) {
  const { config } = parseConfig(
    `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:1 }
  strategy: { type: canary, steps: [10, 50], min-requests: 100 }
models:
  fraud:
    source: { file: model.yaml, key: version }
    metrics: { type: file, path: metrics/${file} }
    gates:
${gates.map((g) => `      - ${g}`).join('\n')}
`,
    {},
  );
  const model = config.models.fraud;
  if (!model) throw new Error('the config has no model fraud');
  const metrics = fileSource(model.metrics as FileMetricsConfig, root);
  async function look(gate: GateConfig, since: number, now: number, weight: number): Promise<Measurement> {
    const fresh: GateState = {
      name: gate.name,
      kind: gate.kind,
      verdict: 'pending',
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
    };
    const state = await lookAtGate(gate, fresh, { ...fraudLook(metrics, since, now), weight });
    if (!state.last) throw new Error(`${gate.name}: no look`);
    return state.last;
  }
  return { gates: model.gates, look };
}

export interface ReplayedGate {
  gate: string;
  alpha: number;
  looks: {
    /** The level the look was judged at (none for mann-whitney). */
    alpha?: number;
    verdict: string;
    /** With each arm's counts and the value the judge read (a latency look: its quantile). */
    evidence: NonNullable<Measurement['evidence']> & { sampleSize?: number; canary?: { value?: number } };
    note: string;
  }[];
}

/** `lines` written as the log `name` under `root`, replayed by `model-gate analyze --json`. */
export async function replayed(root: string, name: string, lines: object[]) {
  const file = join(root, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    const status = await analyzeCommand([file, '--json']);
    const doc = JSON.parse(out.join('\n')) as { gates: ReplayedGate[] };
    return { status, gates: Object.fromEntries(doc.gates.map((g) => [g.gate, g])) };
  } finally {
    log.mockRestore();
  }
}
