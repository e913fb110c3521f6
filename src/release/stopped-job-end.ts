import type { Release } from './types.js';

// A PR's job cancelled (or killed) mid-analysis: its post step (action/post.ts) withdraws the
// candidate and ends the release `aborted`. Nobody chose to stop it and no verdict was reached, so a
// merge under on-merge: analyze-then-promote analyses it again (merged-ready.ts
// analysesAgainAfterMerge), unlike an abort command or a candidate withdrawn by hand.

const STOPPED = 'the job stopped mid-analysis';
const WITHDRAWN = ' withdrawn by the post step';

/** The reason the post step ends `release` with; `exposed`: what its candidate served as the job stopped. */
export const stoppedJobReason = (release: Release, exposed: string): string =>
  `${STOPPED}${exposed}; ${release.to}${WITHDRAWN}`;

/**
 * Whether the post step of a stopped job ended `release` (stoppedJobReason), its reason kept where
 * its withdrawal first failed. Read from those words, which the ledger masks when it stores them: a
 * secret found in them leaves the release unrecognised, taken as stopped on purpose (its merge
 * then advises as for an abort), never the other way round.
 */
export function endedByStoppedJob(release: Release): boolean {
  if (release.status !== 'aborted') return false;
  const why = release.ending?.withdrawFailed?.why ?? release.reason ?? '';
  return why.startsWith(STOPPED) && why.includes(WITHDRAWN);
}
