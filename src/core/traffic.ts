/** Which version is in which slot and how much live traffic the candidate gets. */
export interface TrafficState {
  stable: { version: string };
  /** Absent when no candidate is deployed. `weight`: percent of live traffic. */
  canary?: { version: string; weight: number };
  /** Shadow: a copy of `share` percent of live requests also goes to `version`; its answers are never returned. */
  mirror?: { version: string; share: number };
  /** A/B: route by this request header (e.g. "x-user-id") so the same key always lands on the same arm. */
  sticky?: { header: string };
  /** Rolling: the stable version runs on `instances` instances, `replaced` of which now run `version`. */
  rolling?: { version: string; instances: number; replaced: number };
}

export const stableOnly = (version: string): TrafficState => ({ stable: { version } });

/**
 * Whether two states serve the same way. Parts that change nothing are treated as absent: a
 * weight-0 canary, a share-0 mirror, a rolling pool with nothing replaced, and a sticky header
 * while no canary takes live traffic (everyone lands on stable whatever the key).
 */
export function sameTraffic(a: TrafficState, b: TrafficState): boolean {
  if (a.stable.version !== b.stable.version) return false;
  const ca = liveCanary(a);
  const cb = liveCanary(b);
  if (!same(ca, cb, (x, y) => x.version === y.version && close(x.weight, y.weight))) return false;
  const ma = liveMirror(a);
  const mb = liveMirror(b);
  if (!same(ma, mb, (x, y) => x.version === y.version && close(x.share, y.share))) return false;
  // HTTP header names are case-insensitive.
  const sa = ca ? a.sticky : undefined;
  const sb = cb ? b.sticky : undefined;
  if (!same(sa, sb, (x, y) => x.header.toLowerCase() === y.header.toLowerCase())) return false;
  return same(
    liveRolling(a),
    liveRolling(b),
    (x, y) => x.version === y.version && x.instances === y.instances && x.replaced === y.replaced,
  );
}

export function describeTraffic(t: TrafficState): string {
  const c = liveCanary(t);
  const r = liveRolling(t);
  let text: string;
  if (r) {
    const n = r.instances;
    text = `${t.stable.version} ${n - r.replaced}/${n} instances, ${r.version} ${r.replaced}/${n}`;
  } else if (c) {
    text = `${t.stable.version} ${round(100 - c.weight)}% / ${c.version} ${round(c.weight)}%`;
  } else {
    text = `${t.stable.version} 100%`;
  }
  // A canary next to a rolling pool is not a state the sandbox accepts, but a target may report it.
  if (r && c) text += ` / ${c.version} ${round(c.weight)}%`;
  if (c && t.sticky) text += ` (sticky by ${t.sticky.header})`;
  const m = liveMirror(t);
  if (m) text += ` (+ mirror ${round(m.share)}% to ${m.version})`;
  return text;
}

const liveCanary = (t: TrafficState) => (t.canary && t.canary.weight > 0 ? t.canary : undefined);
const liveMirror = (t: TrafficState) => (t.mirror && t.mirror.share > 0 ? t.mirror : undefined);
const liveRolling = (t: TrafficState) => (t.rolling && t.rolling.replaced > 0 ? t.rolling : undefined);

/** Both absent, or both present and equal. */
function same<T>(x: T | undefined, y: T | undefined, equal: (x: T, y: T) => boolean): boolean {
  if (!x || !y) return !x && !y;
  return equal(x, y);
}

const close = (x: number, y: number) => Math.abs(x - y) < 1e-9;
/**
 * A percentage as a message shows it: as precise as `sameTraffic` compares (1e-9), so two states
 * it tells apart never read the same (97.88% next to 97.876%), float noise (87.70000000000002) gone.
 */
const round = (x: number) => Number(x.toFixed(9));
