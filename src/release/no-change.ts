import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import type { FileReader } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { sourceFileWarnings } from '../version/missing-source.js';
import type { SkippedLine } from './pull-request.js';

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

/**
 * The models (`only`, or every one) whose version file the change from `base` to `head` lacks, as
 * the CLI's validate and plan warn of them (sourceFileWarnings), each after `configPath`: nothing
 * gates those models' changes, and a run that releases nothing would otherwise look green. A file
 * the checkout of the head (`workspace`) has is there: only one missing from it is asked of the
 * reader, so an action run whose files all exist makes no request for this. Without a checkout of
 * the head (`model-gate run --head REF`), every model's file is asked of the reader. `base` is
 * asked for only when one is (a PR's merge base, already known to the run's reader). A check that
 * fails is a warning of its own: the run's outcome does not hang on it.
 */
export async function missingSourceWarnings(
  config: Config,
  reader: FileReader,
  refs: { base: () => Promise<string>; head: string },
  opts: { only?: string; workspace?: string; configPath: string },
): Promise<string[]> {
  const names = opts.only === undefined ? Object.keys(config.models) : [opts.only];
  const unseen: Config['models'] = {};
  for (const name of names) {
    const model = config.models[name];
    if (model && !(opts.workspace && (await inCheckout(opts.workspace, model.source.file))))
      unseen[name] = model;
  }
  if (Object.keys(unseen).length === 0) return [];
  try {
    const warnings = await sourceFileWarnings(
      { ...config, models: unseen },
      reader,
      await refs.base(),
      refs.head,
    );
    return warnings.map((w) => `${opts.configPath}: ${w}`);
  } catch (error) {
    const why = isGitHubError(error) ? describeGitHubError(error) : (error as Error).message;
    return [
      `${opts.configPath}: could not check that the version files it names (${list(unseenFiles(unseen))}) exist at ${headName(refs.head)}: ${why}`,
    ];
  }
}

const unseenFiles = (models: Config['models']) => [
  ...new Set(Object.values(models).map((m) => m.source.file)),
];

/** Whether the checkout has `file` (a relative path the config checked): a file, or a link to one. */
async function inCheckout(workspace: string, file: string): Promise<boolean> {
  try {
    return (await stat(join(workspace, file))).isFile();
  } catch {
    return false;
  }
}
