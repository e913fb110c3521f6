import { isStatistical } from '../config/gate-schema.js';
import { quote } from '../config/messages.js';
import type { ModelConfig } from '../config/types.js';
import { isLiveGate } from '../gates/live-gates.js';
import { fingerprint } from './reconcile-config.js';
import type { Release } from './types.js';

// A merge promotes what passed its analysis; the merge job's config (the merged head's) may have
// gained gates since, or defined one otherwise, that the analysis never judged. It promotes as
// before (the merged head declares the version; refusing would leave it declared but not served),
// and says so, gate by gate.

/**
 * The gates of `config` (the merge job's) that `release`'s analysis did not judge: `added` (no gate
 * of the name then, or one of another kind: a gate that changed kind is another gate) and
 * `changed` (defined otherwise: another fingerprint, as reconcile-config.ts tells a gate apart; a
 * stored gate without one, an older record, counts as judged). Live gates first, then pre-deploy
 * (offline) gates, by name and kind.
 */
export function unjudgedGates(release: Release, config: ModelConfig): { added: string[]; changed: string[] } {
  const added: string[] = [];
  const changed: string[] = [];
  const statistical = config.gates.filter(isStatistical).length;
  const live = config.gates.filter(isLiveGate);
  for (const gate of [...live, ...config.gates.filter((g) => !isLiveGate(g))]) {
    const was = release.gates.find((g) => g.name === gate.name);
    if (!was || was.kind !== gate.kind) added.push(gate.name);
    else if (
      isLiveGate(gate) &&
      was.fingerprint !== undefined &&
      was.fingerprint !== fingerprint(gate, statistical)
    )
      changed.push(gate.name);
  }
  return { added, changed };
}

/** The promotion's note naming the gates its analysis did not judge; undefined when it judged them all. */
export function unjudgedNote(release: Release, config: ModelConfig): string | undefined {
  const { added, changed } = unjudgedGates(release, config);
  const named = [
    ...added.map((n) => `${quote(n)} (not configured then)`),
    ...changed.map((n) => `${quote(n)} (configured otherwise then)`),
  ];
  if (named.length === 0) return undefined;
  const gates = `gate${named.length > 1 ? 's' : ''} ${named.join(', ')}`;
  return `the merge config has ${gates} that the analysis of ${release.to} did not judge: the merge promotes it on the gates it passed`;
}
