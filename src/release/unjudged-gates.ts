import { quote } from '../config/messages.js';
import type { ModelConfig } from '../config/types.js';
import { reconcileWithConfig } from './reconcile-config.js';
import type { Release } from './types.js';

// A merge promotes what passed its analysis; the merge job's config (the merged head's) may have
// gained gates since, or defined one otherwise, that the analysis never judged. It promotes as
// before (the merged head declares the version; refusing would leave it declared but not served),
// and says so, gate by gate.

/**
 * The gates of `config` (the merge job's) that `release`'s analysis did not judge: `added` (no gate
 * of the name then, or one of another kind: a gate that changed kind is another gate) and
 * `changed` (defined otherwise). Identity as a look at the release reconciles it
 * (reconcile-config.ts): by name, kind and fingerprint; a stored gate without a fingerprint (an
 * older record) counts as judged. Pre-deploy (offline) gates by name and kind.
 */
export function unjudgedGates(
  release: Release,
  config: ModelConfig,
  now: number,
): { added: string[]; changed: string[] } {
  const added: string[] = [];
  const changed: string[] = [];
  const stored = (name: string) => release.gates.find((g) => g.name === name);
  // The live gates as the merge config defines them, each with its fingerprint.
  const live = reconcileWithConfig(release, config, now).release.gates.filter((g) => g.kind !== 'offline');
  for (const gate of live) {
    const was = stored(gate.name);
    if (!was || was.kind !== gate.kind) added.push(gate.name);
    else if (was.fingerprint !== undefined && was.fingerprint !== gate.fingerprint) changed.push(gate.name);
  }
  for (const gate of config.gates.filter((g) => g.kind === 'offline')) {
    if (stored(gate.name)?.kind !== 'offline') added.push(gate.name);
  }
  return { added, changed };
}

/** The promotion's note naming the gates its analysis did not judge; undefined when it judged them all. */
export function unjudgedNote(release: Release, config: ModelConfig, now: number): string | undefined {
  const { added, changed } = unjudgedGates(release, config, now);
  const named = [
    ...added.map((n) => `${quote(n)} (not configured then)`),
    ...changed.map((n) => `${quote(n)} (configured otherwise then)`),
  ];
  if (named.length === 0) return undefined;
  const gates = `gate${named.length > 1 ? 's' : ''} ${named.join(', ')}`;
  return `the merge config has ${gates} that the analysis of ${release.to} did not judge: the merge promotes it on the gates it passed`;
}
