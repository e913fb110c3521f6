import type { Release } from '../release/types.js';
import { WORKING_TREE } from '../version/local-comparison.js';

/**
 * `; if the PR was closed, reopen it first`, after the advice to push a new commit that analyses a
 * failed candidate again: the close job of a PR closed without merging leaves such a release as it
 * was, and its report (the comment's last word) gave the open PR's advice, which a closed PR cannot
 * follow. That record does not say whether the PR was closed since, so the advice says both. Nothing
 * for `model-gate run` on the working tree, whose advice is a commit named with --head.
 */
export const reopenFirst = (r: Pick<Release, 'headSha'>): string =>
  r.headSha === WORKING_TREE ? '' : '; if the PR was closed, reopen it first';
