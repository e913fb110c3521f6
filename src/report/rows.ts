import type { ModelConfig } from '../config/types.js';
import { describeBounds } from '../gates/bounds.js';
import type { GateState, Release } from '../release/types.js';
import { formatElapsed, formatValue } from './format.js';

/** A gate as one row of the report, in display strings: shared by markdown and terminal views. */
export interface GateRow {
  gate: string;
  candidate: string;
  baseline: string;
  bound: string;
  verdict: string;
  note: string;
}

export interface PhaseRow {
  phase: string;
  traffic: string;
  started: string;
  lasted: string;
  outcome: string;
}

const VERDICT: Record<GateState['verdict'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  pending: '⏳ pending',
};

export function gateRows(release: Release, model: ModelConfig | undefined): GateRow[] {
  return release.gates.map((g) => {
    const config = model?.gates.find((c) => c.name === g.name);
    const query = config?.kind === 'threshold' ? config.query : (config?.key ?? g.name);
    const m = g.last;
    const requests = (n?: number) => (n === undefined ? '' : ` (${n} req)`);
    return {
      gate: config?.kind === 'threshold' ? `${g.name} (${config.query})` : `${g.name} (offline)`,
      candidate:
        m?.canary === undefined ? '–' : `${formatValue(query, m.canary)}${requests(m.canaryRequests)}`,
      baseline:
        m?.baseline === undefined ? '–' : `${formatValue(query, m.baseline)}${requests(m.baselineRequests)}`,
      bound: config ? describeBounds(query, config) : '',
      verdict: VERDICT[g.verdict],
      note: g.verdict === 'pass' ? '' : (m?.note ?? ''),
    };
  });
}

export function phaseRows(release: Release, now: number): PhaseRow[] {
  return release.phases.map((p) => ({
    phase: p.name,
    traffic: `${p.weight}%`,
    started: new Date(p.startedAt).toISOString().replace('T', ' ').slice(0, 19),
    lasted: formatElapsed((p.endedAt ?? now) - p.startedAt),
    outcome: p.outcome ?? 'running',
  }));
}
