import { alertsNow } from '../release/drift-alert.js';
import type { RunResult } from '../release/pull-request.js';
import type { Release } from '../release/types.js';
import {
  configChangesLines,
  decisionSentences,
  releaseSeverity,
  reportSentence,
  reportStatus,
  rollbackSentence,
  servingSentence,
  skippedSentence,
  unsaidLines,
} from './decision.js';
import { mergeLines } from './mixed-outcome.js';

/** The short report's lines about one model: kept or cut together, never a note without its verdict. */
export interface ModelLines {
  model: string;
  lines: string[];
}

export interface ShortLines {
  /** Per model, the worst news first: a rollback, then its releases' severity, then models with notes only. */
  models: ModelLines[];
  /** Lines about no one model (`*`): last, as every report gives them. */
  global: string[];
}

/** After every release: a model with only a note, a drift watch or what it serves. */
const NEWS_ONLY = Number.MAX_SAFE_INTEGER;
/** A drift begun in this run ranks as a failed release (runDecision); one alerted before, as news. */
const DRIFTED = 2;

/**
 * The run's one-line decisions (as decisionSentences words them) grouped per model: its rollback,
 * what it serves, its releases with their config changes, its drift, then its own notes.
 */
export function shortLines(result: RunResult): ShortLines {
  const groups = new Map<string, { rank: number; lines: string[] }>();
  const add = (model: string, rank: number, lines: string[]) => {
    const group = groups.get(model) ?? { rank, lines: [] };
    group.rank = Math.min(group.rank, rank);
    group.lines.push(...lines);
    groups.set(model, group);
  };
  // A rollback the PR's note says already (`v2 was rolled back to v1 by …`) is left out of the full
  // report's lines (decisionSentences): said once here too, by the note, its model first all the same.
  const rollbacks = result.rollbacks ?? [];
  const said = new Set(rollbacks.length > 0 ? decisionSentences(result) : []);
  for (const e of rollbacks) {
    const line = rollbackSentence(e);
    add(e.model, -1, said.has(line) ? [line] : []);
  }
  for (const s of result.serving ?? []) add(s.model, NEWS_ONLY, [servingSentence(s)]);
  const releases = [...result.releases].sort((a, b) => releaseSeverity(a) - releaseSeverity(b));
  for (const r of releases)
    add(r.model, releaseSeverity(r), [verdictLine(r, result), ...configChangesLines(r)]);
  for (const d of result.drift ?? [])
    add(d.model, alertsNow(d) ? DRIFTED : NEWS_ONLY, [`${d.drifted ? '⚠️ ' : ''}${d.note}`]);
  const global: string[] = [...mergeLines(result)];
  for (const s of unsaidLines(result)) {
    if (s.model === '*') global.push(skippedSentence(s));
    else add(s.model, NEWS_ONLY, [skippedSentence(s)]);
  }
  // A stable sort: equal ranks keep the order the run gave them in.
  const models = [...groups.entries()]
    .sort(([, a], [, b]) => a.rank - b.rank)
    .map(([model, g]) => ({ model, lines: g.lines }));
  return { models, global };
}

/**
 * `rolled back: fraud v2 was rolled back to v1 …`: the release's status, then its sentence. What
 * the sentence ends on already (`…, since rolled back to v1`) the status does not say again.
 */
function verdictLine(r: Release, result: RunResult): string {
  const status = reportStatus(r, result);
  const sentence = reportSentence(r, result);
  const [word, ...more] = status.split(', ');
  const saidAlready = more.length > 0 && sentence.endsWith(`, ${more.join(', ')}`);
  return `${saidAlready ? word : status}: ${sentence}`;
}
