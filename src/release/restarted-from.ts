import { WORKING_TREE } from '../version/local-comparison.js';
import type { Release } from './types.js';

/**
 * What the release that supersedes the PR's in-flight analysis `old` keeps of it
 * (Release.restartedFrom): its head, candidate, and the phase it was in or that it was ready;
 * `ended`, its record once ended, says whether taking it out was confirmed.
 */
export function restartedFrom(old: Release, ended: Release): NonNullable<Release['restartedFrom']> {
  // The running phase's record: none before the candidate is deployed.
  const phase = old.phase >= 0 ? old.phases.at(-1) : undefined;
  const stood =
    old.status === 'ready'
      ? { ready: true as const }
      : phase
        ? { phase: { name: phase.name, weight: phase.weight } }
        : {};
  return {
    // The working tree is no commit a later run could name.
    ...(old.headSha !== undefined && old.headSha !== WORKING_TREE ? { head: old.headSha } : {}),
    version: old.to,
    ...stood,
    ...(ended.withdrawPending ? { withdrawPending: true as const } : {}),
  };
}
