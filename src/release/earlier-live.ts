import { type LiveSpan, MAX_EARLIER_LIVE, type Release } from './types.js';

/**
 * The spans a new release against stable `from` keeps of when earlier candidates had live traffic
 * (Release.earlierLive): those `previous` (the model's release on record before it, ended by now)
 * kept, and its own. A blue-green bake's baseline taken "just before the switch" would otherwise
 * reach into them, where the stable version served little or nothing (a push during the bake).
 * Undefined where there are none, or `previous` ran against another stable version.
 */
export function earlierLiveOf(
  previous: Release | undefined,
  from: string,
  now: number,
): LiveSpan[] | undefined {
  if (!previous || previous.from !== from) return undefined;
  const own = liveSpanOf(previous, now);
  const spans = [...(previous.earlierLive ?? []), ...(own ? [own] : [])];
  while (spans.length > MAX_EARLIER_LIVE) {
    // Merged, never dropped: a baseline may still have to end before the older one.
    const [older, old] = spans.splice(0, 2) as [LiveSpan, LiveSpan];
    spans.unshift({ version: older.version, since: older.since, until: Math.max(older.until, old.until) });
  }
  return spans.length > 0 ? spans : undefined;
}

/**
 * When `release`'s candidate had live traffic: from its first live phase's start until its last
 * live phase ended; until `now` where one has not ended or taking it out was not confirmed (it may
 * still serve). A switch that failed leaving the traffic as it was gave it none (switchFailed).
 */
function liveSpanOf(release: Release, now: number): LiveSpan | undefined {
  const live = release.phases.filter((p) => p.weight > 0 && !p.switchFailed);
  const first = live[0];
  if (!first) return undefined;
  const stillLive =
    release.withdrawPending === true ||
    release.idlePending === true ||
    live.some((p) => p.endedAt === undefined);
  const until = stillLive ? now : Math.max(...live.map((p) => p.endedAt ?? now));
  return { version: release.to, since: first.startedAt, until };
}
