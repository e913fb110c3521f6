import { TargetError } from '../core/errors.js';
import { withdrawingTarget } from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { withdrawIfLive } from './finish.js';
import type { Release } from './types.js';

/** What withdrawIfLive did, or the platform's words where it could not be read or changed. */
export type LeftLive = { done: 'withdrawn' | 'not-live' | 'other' } | { unread: string };

/**
 * The candidate of a release this run has not deployed, taken out of live traffic where an earlier
 * run left it there (stopped between its first traffic change and saving it), read back patiently.
 * A platform that cannot be read is said, not thrown: the caller's own cause stands.
 */
export async function withdrawLeftLive(release: Release, ctx: ReleaseContext): Promise<LeftLive> {
  try {
    const left = await withdrawIfLive(withdrawingTarget(ctx), release.from, release.to);
    return { done: left.done };
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return { unread: err.message };
  }
}
