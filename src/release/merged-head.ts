import type { ModelConfig } from '../config/types.js';
import { declaredVersion, type FileReader } from '../version/changed-models.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import type { PullRequestEvent } from './pull-request.js';
import type { Release } from './types.js';

/**
 * How a PR's head leaves a model's version: no version file, the base's version, a version file
 * that declares no valid version (the error), or (a merged head) another version than the candidate's.
 */
export type HeadVersion = { absent: true } | { same: string } | { invalid: string } | { other: string };

/**
 * What a merge does with the PR's candidate still in flight (analysing or ready). Decided here
 * once, for the plan job (which models it fans out, and its words) and the model's job (what it does):
 * - `keep`: analysed on the merged head, or on an earlier one that declared the version the merged
 *   head declares (a README fix no run saw): on-merge decides, as for any candidate.
 * - `as-new-head` (on-merge: analyze-then-promote): as a new push on the merged head would, the
 *   candidate is superseded by the merged head's version, analysed (`other`), or withdrawn when that
 *   head declares none (`absent`) or the base's (`same`).
 * - `withdraw`: withdrawn unpromoted (on-merge: require-pass, or a merged head with no valid
 *   version, so nothing to analyse either).
 */
export type MergedHeadVerdict =
  | { settle: 'keep' }
  | { settle: 'as-new-head' | 'withdraw'; head: HeadVersion };

export async function mergedHeadVerdict(
  model: ModelConfig,
  release: Release,
  event: Pick<PullRequestEvent, 'baseSha' | 'headSha'>,
  reader: FileReader,
): Promise<MergedHeadVerdict> {
  // The same commit declares what it declared when analysed; the working tree (the CLI's files on
  // disk, one head name for every edit) may declare another version since: its file decides.
  if (release.headSha === event.headSha && event.headSha !== WORKING_TREE) return { settle: 'keep' };
  // The merged head's own file decides: the event's base is not refreshed when the base branch
  // moves, so a base that already declares this version must not make it "no change".
  const declared = await declaredVersion(reader, event.headSha, model.source);
  if ('version' in declared && declared.version === release.to) return { settle: 'keep' };
  const head =
    'version' in declared ? await besideBase(declared.version, event.baseSha, model, reader) : declared;
  const analyses = model.onMerge === 'analyze-then-promote' && !('invalid' in head);
  return { settle: analyses ? 'as-new-head' : 'withdraw', head };
}

/**
 * The merged head's version, `same` when the base declares it too. The base only words it (and a
 * job that analyses reads it again): one that cannot be read leaves the version `other`, never
 * fails the decision.
 */
async function besideBase(
  version: string,
  baseSha: string,
  model: ModelConfig,
  reader: FileReader,
): Promise<HeadVersion> {
  const base = await declaredVersion(reader, baseSha, model.source).catch(() => undefined);
  return base && 'version' in base && base.version === version ? { same: version } : { other: version };
}
