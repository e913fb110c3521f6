import { servesAfterEnd } from '../release/finish.js';
import type { RunResult } from '../release/pull-request.js';
import type { Release } from '../release/types.js';

/** Above this many models of one word a mixed heading counts them instead of naming them. */
const NAMED = 3;

const listed = (names: string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** How a heading words a release's word: `ready` is the one a reader acts on. */
const shown = (word: string) => (word === 'ready' ? 'ready to merge' : word);

/**
 * The heading of a run whose models ended differently (`❌ ranker rolled back; fraud ready to
 * merge`), each model under its own word, the worst first (`worstFirst`: releases in that order), with
 * the mark of `title`, the heading of its failures alone. Undefined where every model shares one
 * word: `title` says it.
 */
export function mixedTitle(
  worstFirst: Release[],
  title: string,
  wordOf: (r: Release) => string,
): string | undefined {
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  // A model under its worst release's word only (an earlier head's superseded one says nothing more).
  for (const r of worstFirst) {
    if (seen.has(r.model)) continue;
    seen.add(r.model);
    groups.set(wordOf(r), [...(groups.get(wordOf(r)) ?? []), r.model]);
  }
  if (groups.size < 2) return undefined;
  const mark = title.split(' ')[0];
  const named = (names: string[]) => names.length <= NAMED;
  const parts = [...groups].map(
    ([word, names]) => `${named(names) ? listed(names) : names.length} ${shown(word)}`,
  );
  const counted = [...groups.values()].some((names) => !named(names));
  return `${mark} ${parts.join('; ')}${counted ? ` (of ${seen.size} models)` : ''}`;
}

/**
 * What merging the PR does where some of its models are ready and the others ended: the merge job
 * (release/merge-job.ts) promotes a ready release and leaves one that is not ready unpromoted,
 * under either on-merge, so those stay on what serves after their end. Nothing where a model is
 * still analysing (on-merge decides), a withdrawal is pending (what serves is not settled), or the
 * run is no PR's.
 */
export function mergeLines(result: RunResult): string[] {
  const { releases } = result;
  if (result.serving !== undefined || releases.length < 2) return [];
  if (releases.some((r) => r.pr === undefined || r.withdrawPending || r.ending?.recordOnly)) return [];
  const ready = releases.filter((r) => r.status === 'ready' && r.mergedAt === undefined);
  const ended = releases.filter(
    (r) => ['failed', 'aborted', 'superseded'].includes(r.status) && !ready.some((x) => x.model === r.model),
  );
  if (ready.length === 0 || ended.length === 0 || ready.length + ended.length < releases.length) return [];
  const stays = new Map<string, string>();
  for (const r of ended) stays.set(r.model, servesAfterEnd(r));
  const promoted = [...new Set(ready.map((r) => r.model))];
  // Hundreds of models (the short comment's case) are counted, not listed.
  const promotes = promoted.length <= NAMED ? listed(promoted) : `the ${promoted.length} ready models`;
  const stay =
    stays.size <= NAMED
      ? [...stays].map(([model, version]) => `${model} stays on ${version}`).join(', ')
      : `the ${stays.size} others stay on what each serves now`;
  return [`Merging promotes ${promotes} only; ${stay}`];
}
