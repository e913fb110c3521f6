import type { GateConfig, ModelConfig } from '../config/types.js';
import { isLiveGate } from '../gates/live-gates.js';
import { liveTrafficText, type Phase, phasesOf } from '../strategies/strategy.js';
import type { GateState, PhaseRecord, Release } from './types.js';

// The config a run reads governs that run: a PR's job reads the PR's, a schedule tick the default
// branch's checkout. That is deliberate: a tick holds secrets and may run `command` targets, so it
// never runs config taken from a PR head. A release can thus be advanced under a config other than
// the one it started under, and each look first brings its stored state in line with the run's
// config, by gate name and by phase. The running phase's note says what changed, once: after it,
// the stored state matches.

export interface Reconciled {
  release: Release;
  /** The running phase is no longer configured: its record is closed, and this phase is to be entered. */
  enter?: number;
}

/** `release` as the run's `config` has it; unchanged when the config is the one it was stored under. */
export function reconcileWithConfig(release: Release, config: ModelConfig, now: number): Reconciled {
  const { gates, notes } = reconcileGates(release.gates, config.gates);
  const record = release.phases.at(-1);
  const running = release.phase >= 0 && record?.endedAt === undefined ? record : undefined;
  const moved = running && placeInStrategy(release.phase, running, phasesOf(config.strategy));
  if (!running || (!moved && notes.length === 0))
    return { release: gates === release.gates ? release : { ...release, gates } };
  const phase = moved?.phase ?? release.phase;
  const note = [running.note, moved?.note, ...notes].filter(Boolean).join('; ');
  const noted: PhaseRecord = note ? { ...running, note } : running;
  const last: PhaseRecord = moved?.enter ? { ...noted, endedAt: now, outcome: 'withdrawn' } : noted;
  const next = { ...release, gates, phase, phases: [...release.phases.slice(0, -1), last] };
  return moved?.enter ? { release: next, enter: phase } : { release: next };
}

/**
 * The configured live gates, each with its stored state (by name) when it has one of the same kind,
 * else pending as a new release's; a stored gate not configured any more is dropped, so it no
 * longer holds a phase or an A/B open. Offline gates were checked before deploying, on the PR's
 * files: their stored results stand.
 */
function reconcileGates(stored: GateState[], configured: GateConfig[]) {
  const live = configured.filter(isLiveGate);
  const notes: string[] = [];
  const gates = live.map((c) => {
    const s = stored.find((g) => g.name === c.name);
    if (s && s.kind === c.kind) return s;
    notes.push(
      s
        ? `gate "${c.name}" changed kind (${s.kind} → ${c.kind}): judged afresh from here`
        : `gate "${c.name}" was added to the config: judged from here`,
    );
    return pending(c);
  });
  for (const s of stored) {
    if (s.kind === 'offline' || live.some((c) => c.name === s.name)) continue;
    notes.push(
      configured.some((c) => c.name === s.name)
        ? `gate "${s.name}" is now an offline gate, checked before deploying: not judged from here`
        : `gate "${s.name}" is no longer configured: not judged from here`,
    );
  }
  if (notes.length === 0) return { gates: stored, notes };
  const offline = stored.filter((g) => g.kind === 'offline' && !live.some((c) => c.name === g.name));
  return { gates: [...offline, ...gates], notes };
}

const pending = (c: GateConfig): GateState => ({
  name: c.name,
  kind: c.kind,
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
});

/**
 * Where the running phase is in the configured strategy: the phase of the same name and weight
 * (undefined when it is still at its index). A strategy that no longer has it (steps cut or changed,
 * a canary's steps renamed by their count, another split) goes on to the first configured phase at
 * or above the candidate's current share, else to its last phase: the share never skips a step the
 * config has, nor stays above its highest, and each phase from here is one the config has, judged
 * afresh.
 */
function placeInStrategy(index: number, running: PhaseRecord, phases: Phase[]) {
  const same = (p: Phase | undefined) => p?.name === running.name && p.weight === running.weight;
  if (same(phases[index])) return undefined;
  const found = phases.findIndex(same);
  if (found >= 0) return { phase: found, enter: false };
  const above = phases.findIndex((p) => p.weight >= running.weight);
  const phase = above >= 0 ? above : phases.length - 1;
  const next = phases[phase] as Phase;
  const where = `${above >= 0 ? '' : 'its last phase, '}${next.name} (${liveTrafficText(next.weight)})`;
  const note = `${running.name} (${liveTrafficText(running.weight)}) is no longer a phase of the configured strategy: the release goes on to ${where}`;
  return { phase, enter: true, note };
}
