/** Which version is in which slot and how much live traffic the candidate gets. */
export interface TrafficState {
  stable: { version: string };
  /** Absent when no candidate is deployed. */
  canary?: { version: string; weight: number };
}

export const stableOnly = (version: string): TrafficState => ({ stable: { version } });

export function sameTraffic(a: TrafficState, b: TrafficState): boolean {
  if (a.stable.version !== b.stable.version) return false;
  const wa = a.canary && a.canary.weight > 0 ? a.canary : undefined;
  const wb = b.canary && b.canary.weight > 0 ? b.canary : undefined;
  if (!wa || !wb) return !wa && !wb;
  return wa.version === wb.version && Math.abs(wa.weight - wb.weight) < 1e-9;
}

export function describeTraffic(t: TrafficState): string {
  const c = t.canary;
  if (!c || c.weight <= 0) return `${t.stable.version} 100%`;
  return `${t.stable.version} ${round(100 - c.weight)}% / ${c.version} ${round(c.weight)}%`;
}

const round = (x: number) => Math.round(x * 100) / 100;
