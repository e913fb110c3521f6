import type { TargetError } from '../core/errors.js';
import { TargetAccessError, TargetRefusedError } from '../targets/errors.js';
import { NameClashError } from '../targets/names.js';
import type { ReleaseContext } from './context.js';
import { withdrawLeftLive } from './left-live.js';
import type { Ending, Release } from './types.js';

// The platform answered the candidate's first traffic change with a refusal (a version it does not
// have, a token without the permission): the change did not take, so nothing is rolled back, and
// what fixes it is the PR's version or the credentials, not a retry. Only where a read after it
// shows the candidate without live traffic: a change that may have half taken keeps the rollback.

/** What the platform's refusal says the user must change, or undefined for an outage (retry helps). */
const causeOf = (err: TargetError): Ending['firstChangeRefused'] =>
  err instanceof TargetRefusedError ? 'request' : err instanceof TargetAccessError ? 'access' : undefined;

/**
 * `release` failed, never deployed, where the platform refused its first traffic change (`err`,
 * to `phase`: `asked` words it) and a read finds the candidate without live traffic; undefined
 * otherwise (an outage, a read that fails, the candidate live: the caller rolls back as before).
 */
export async function refusedFirstChange(
  release: Release,
  phase: string,
  asked: string,
  err: TargetError,
  ctx: ReleaseContext,
): Promise<Release | undefined> {
  const cause = causeOf(err);
  if (cause === undefined || release.phases.length > 0) return undefined;
  const left = await withdrawLeftLive(release, ctx);
  if (!('done' in left) || left.done !== 'not-live') return undefined;
  const now = ctx.clock.now();
  return {
    ...release,
    status: 'failed',
    updatedAt: now,
    // 0%: the candidate served no caller; the report shows the share asked for beside it.
    phases: [{ name: phase, weight: 0, startedAt: now, endedAt: now, outcome: 'failed', note: err.message }],
    reason: `${release.to} was not deployed and got no traffic: ${err instanceof NameClashError ? 'model-gate' : 'the platform'} refused ${asked}: ${err.message}`,
    ending: { firstChangeRefused: cause },
  };
}
