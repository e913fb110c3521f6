import type { Config } from '../config/types.js';
import type { SkippedLine } from '../release/pull-request.js';

/**
 * Why a pull request run releases nothing, in one sentence: no declared version changed, and
 * whether the PR touches none of the version files the config watches (`touched`, when GitHub
 * said which files it touches) or touches some without changing the version they declare.
 */
export function noChangeNote(
  config: Config,
  only: string | undefined,
  touched?: ReadonlySet<string>,
): SkippedLine {
  const names = only === undefined ? Object.keys(config.models) : [only];
  const watched = [...new Set(names.flatMap((n) => config.models[n]?.source.file ?? []))];
  const hit = touched ? watched.filter((f) => touched.has(f)) : [];
  const model = only ?? '*';
  const what =
    only === undefined ? "no model's declared version changed" : 'its declared version did not change';
  if (touched && hit.length === 0) {
    const why =
      only === undefined
        ? `the PR touches none of the version files the config watches (${list(watched)})`
        : `the PR does not touch its version file (${list(watched)})`;
    return { model, why: `${what}: ${why}`, kind: 'note' };
  }
  if (touched)
    return {
      model,
      why: `${what}: the PR touches ${list(hit)}, but not the version declared there`,
      kind: 'note',
    };
  return { model, why: `${what} between the PR's base and head (${list(watched)})`, kind: 'note' };
}

/** Files named in a sentence: a few, then how many more. */
function list(files: string[]): string {
  const shown = files.slice(0, 5).join(', ');
  return files.length > 5 ? `${shown} and ${files.length - 5} more` : shown || 'none';
}
