import type { TrafficState } from '../core/traffic.js';
import { TargetStateError } from './errors.js';
import { type KnownVersions, knownOf } from './target.js';

/** One version's share of live traffic on a platform, in percent (shares are normalised to 100). */
export interface Share {
  version: string;
  percent: number;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Turns what a platform serves (a share per version) into a TrafficState; shares it cannot map
 * are a TargetStateError (the platform answered: reading again gets the same shares). Which
 * version is the stable one cannot be told from weights (a candidate may hold 50%, 75% or all of
 * it), so the versions the caller knows (`known`) name the roles, else the state last asked for
 * (`expected`); see stableShare. A candidate deployed with no traffic is reported with weight 0
 * when it was expected. `mirrored`: the percent of live traffic the platform copies to each
 * version (shadow); those are not normalised, and versions at 0% are left out.
 */
export function trafficFromShares(
  shares: readonly Share[],
  seen: { expected?: TrafficState | undefined; known?: KnownVersions | undefined },
  description: string,
  mirrored: readonly Share[] = [],
): TrafficState {
  const { expected, known } = seen;
  const roles = known ?? (expected ? knownOf(expected) : {});
  const traffic = liveTraffic(shares, roles, expected?.canary?.version, description);
  const mirrors = mirrored.filter((s) => s.percent > 0);
  if (mirrors.length > 1) {
    const listed = mirrors.map((s) => `${s.version} ${round(s.percent)}%`).join(', ');
    throw new TargetStateError(
      `${description} mirrors live traffic to ${mirrors.length} versions (${listed}); model-gate drives one shadow version: remove the others' mirror traffic first`,
    );
  }
  const [mirror] = mirrors;
  return mirror ? { ...traffic, mirror: { version: mirror.version, share: round(mirror.percent) } } : traffic;
}

function liveTraffic(
  shares: readonly Share[],
  roles: KnownVersions,
  idle: string | undefined,
  description: string,
): TrafficState {
  const total = shares.reduce((sum, s) => sum + Math.max(0, s.percent), 0);
  if (total <= 0) throw new TargetStateError(`${description} sends live traffic to no version at all`);
  const live = shares
    .filter((s) => s.percent > 0)
    .map((s) => ({ version: s.version, percent: round((s.percent / total) * 100) }));
  if (live.length > 2) {
    const listed = live.map((s) => `${s.version} ${s.percent}%`).join(', ');
    throw new TargetStateError(
      `${description} splits live traffic between ${live.length} versions (${listed}); model-gate drives one stable version and one candidate: remove the others' traffic first`,
    );
  }
  const stable = stableShare(shares, live, roles);
  if (!stable) throw new TargetStateError(`${description} sends live traffic to no version at all`);
  const others = live.filter((s) => s.version !== stable.version);
  if (others.length > 1) {
    const listed = live.map((s) => `${s.version} ${s.percent}%`).join(', ');
    throw new TargetStateError(
      `${description} sends live traffic to ${listed} but none to the stable version ${stable.version}`,
    );
  }
  const [other] = others;
  if (other)
    return { stable: { version: stable.version }, canary: { version: other.version, weight: other.percent } };
  if (idle && idle !== stable.version && shares.some((s) => s.version === idle)) {
    return { stable: { version: stable.version }, canary: { version: idle, weight: 0 } };
  }
  return { stable: { version: stable.version } };
}

/**
 * The stable version's share, by the roles the caller knows: the known stable while it has live
 * traffic, and at 0% (while listed) when the known candidate alone has it (a step of 100%,
 * blue-green's bake); beside the known candidate, the other live version. Otherwise (no roles, or
 * versions they do not name: a promotion or rollback made since) the larger share.
 */
function stableShare(
  shares: readonly Share[],
  live: readonly Share[],
  roles: KnownVersions,
): Share | undefined {
  const { stable, candidate } = roles;
  const liveStable = live.find((s) => s.version === stable);
  if (liveStable) return liveStable;
  const candidateLive = live.some((s) => s.version === candidate);
  if (stable !== undefined && candidateLive && live.length === 1 && shares.some((s) => s.version === stable))
    return { version: stable, percent: 0 };
  if (candidateLive && live.length === 2) return live.find((s) => s.version !== candidate);
  return [...live].sort((a, b) => b.percent - a.percent)[0];
}

/**
 * The live share each version should get for `desired`: the stable version the rest of
 * the candidate's weight. A candidate at 0% is listed with 0.
 */
export function sharesFor(desired: TrafficState): Share[] {
  const canary = desired.canary;
  if (!canary || canary.version === desired.stable.version)
    return [{ version: desired.stable.version, percent: 100 }];
  return [
    { version: desired.stable.version, percent: round(100 - canary.weight) },
    { version: canary.version, percent: round(canary.weight) },
  ];
}

/** The percent of live traffic to copy to the shadow version for `desired`, when any. */
export function mirrorFor(desired: TrafficState): Share | undefined {
  const mirror = desired.mirror;
  if (!mirror || mirror.share <= 0) return undefined;
  return { version: mirror.version, percent: round(mirror.share) };
}
