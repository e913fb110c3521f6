import type { Measurement, PhaseRecord, Release } from '../release/types.js';
import { thousands } from '../stats/conversion.js';

/**
 * `; 621 copies run, 1,980 dropped (76%)`, for a shadow phase whose mirror dropped copies (too many
 * in flight): a slow candidate under heavy traffic runs few of them, and its gates judge those
 * alone. From the phase's latest look that counted them (Measurement.dropped); empty when none
 * were dropped, or none counted.
 */
export function droppedCopiesNote(p: PhaseRecord, release: Release): string {
  const inPhase = (
    m: Measurement | undefined,
  ): m is Measurement & { dropped: number; canaryRequests: number } =>
    m?.dropped !== undefined &&
    m.canaryRequests !== undefined &&
    m.at >= p.startedAt &&
    (p.endedAt === undefined || m.at <= p.endedAt);
  const [latest] = release.gates
    .flatMap((g) => [g.last, g.lastUsable])
    .filter(inPhase)
    .sort((a, b) => b.at - a.at);
  if (!latest || !(latest.dropped > 0)) return '';
  const { canaryRequests: run, dropped } = latest;
  const share = dropped / (run + dropped);
  const percent = share < 0.01 ? '<1%' : `${Math.round(share * 100)}%`;
  return `; ${thousands(run)} copies run, ${thousands(dropped)} dropped (${percent})`;
}
