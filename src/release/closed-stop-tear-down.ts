import type { Config } from '../config/types.js';
import type { Ports } from './ports.js';
import type { SkippedLine } from './pull-request.js';
import { tearDownCandidates } from './tear-down.js';
import { inFlight, type Release } from './types.js';

// A PR's close job (closed without merging) ends its release, withdraws the candidate, then takes
// the candidate's deployment off a platform that keeps it (and bills it) at 0% (tear-down.ts). A
// close job stopped in between (cancelled: its post step; `model-gate run close` stopped by a
// signal) has its candidate taken out of service by what stopped it (out-of-service.ts), and no
// later close job comes; a schedule tick tears down only a withdrawal it settles itself
// (closed-meanwhile.ts). So the stop tears it down too.

/**
 * After a stopped close job's `release` was taken out of service: its candidate's deployment taken
 * off the platform as the close job would (tearDownCandidates, the same keeps), once the candidate
 * is withdrawn (not pending, not in flight, not promoted). The line to say, undefined when there is
 * nothing to say (a target that keeps no idle version, the deployment gone or kept). A removal that
 * fails is said in the line, never thrown.
 */
export async function tearDownStoppedClose(
  config: Config,
  release: Release,
  ports: Ports,
): Promise<SkippedLine | undefined> {
  const withdrawn =
    !inFlight(release) &&
    release.withdrawPending !== true &&
    release.status !== 'promoted' &&
    release.mergedAt === undefined;
  if (!withdrawn) return undefined;
  const [line] = await tearDownCandidates(config, [release], ports, { dryRun: false });
  return line;
}
