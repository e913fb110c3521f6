import { createHash } from 'node:crypto';
import { isStatistical } from '../config/gate-schema.js';
import type { AbStrategyConfig, GateConfig, ModelConfig, StrategyConfig } from '../config/types.js';
import { isLiveGate } from '../gates/live-gates.js';
import { liveTrafficText, type Phase, phaseKind, phasesOf } from '../strategies/strategy.js';
import { targetCapabilities } from '../targets/capabilities.js';
import { atFullTraffic, carriedLook, isSideBySide } from './full-traffic.js';
import { type GateState, type PhaseRecord, pendingGate, type Release } from './types.js';

// The config a run reads governs that run: a PR's job reads the PR's, a schedule tick the default
// branch's checkout. That is deliberate: a tick holds secrets and may run `command` targets, so it
// never runs config taken from a PR head. A release can thus be advanced under a config other than
// the one it started under, and each look first brings its stored state in line with the run's
// config: gates by name and definition, the running phase by what it does. A config change never
// raises the candidate's traffic without a passed phase: not a running A/B's (reconcileAb), not
// any other phase's (fallBack to a phase at or below it; with none below it, heldAbove keeps a
// running step or A/B; a shadow, smoke test or batch still starts at the first phase), and two configs taking turns (a PR's job and the ticks) neither restart a phase both
// have nor grow its note.

export interface Reconciled {
  release: Release;
  /** The running phase is not configured: its record is closed, and this phase is to be entered. */
  enter?: number;
  /**
   * The running phase goes on as this configured phase, under its configured name: its traffic is
   * set again (the same share of live traffic; a shadow's new `share`, a rolling update's instances).
   */
  carryOn?: number;
  /**
   * The running phase is not configured, and the phase the release passed just before it does what
   * the configured last phase does: the release passed every configured phase (the record is closed).
   */
  passedAll?: true;
  /**
   * The config this look goes on under, where it is not the run's: the run's with the running
   * A/B's split, which the run's would raise (a raised split applies to the next release), or with
   * the running phase kept where every configured phase is above it (heldAbove).
   */
  config?: ModelConfig;
}

/** `release` as the run's `config` has it; unchanged when the config is the one it was stored under. */
export function reconcileWithConfig(release: Release, config: ModelConfig, now: number): Reconciled {
  // `fullTraffic`: the release stays at 100% of live traffic, where a side-by-side gate's earlier
  // pass stands through a new definition (nothing beside the candidate could judge it again).
  const gatesFor = (fullTraffic: boolean) =>
    reconcileGates(release.gates, config.gates, fullTraffic ? now : undefined);
  const record = release.phases.at(-1);
  const running = release.phase >= 0 && record?.endedAt === undefined ? record : undefined;
  if (!running) {
    const { gates } = gatesFor(false);
    return { release: gates === release.gates ? release : { ...release, gates } };
  }
  if (config.strategy.type === 'ab' && running.name.startsWith('A/B '))
    return reconcileAb(release, running, config, gatesFor, now);
  const phases = phasesOf(config.strategy);
  const same = doesSame(phases[release.phase], running)
    ? release.phase
    : phases.findIndex((p) => doesSame(p, running));
  const at = phases[same];
  const replace = (last: PhaseRecord) => [...release.phases.slice(0, -1), last];
  if (at) {
    const { gates, notes } = gatesFor(atFullTraffic(at));
    const renamed = at.name !== running.name;
    if (same === release.phase && !renamed && notes.length === 0)
      return { release: gates === release.gates ? release : { ...release, gates } };
    const last = withNotes({ ...running, name: at.name }, notes);
    const next = { ...release, gates, phase: same, phases: replace(last) };
    return renamed ? { release: next, carryOn: same } : { release: next };
  }
  const { phase, highest } = fallBack(running, phases);
  if (!phases.some((p) => p.weight < running.weight)) {
    const held = heldAbove(release, running, config, now);
    if (held) return held;
  }
  const before = release.phases.at(-2);
  const target = phases[phase] as Phase;
  const last = phase === phases.length - 1;
  const passed = last && before?.outcome === 'passed' && doesSame(target, before) ? before : undefined;
  const { gates, notes, restarted } = gatesFor(!passed && atFullTraffic(target));
  // It passed every configured phase only if they judged every configured gate as defined now.
  const unjudged = passed ? notJudgedBefore(gates, restarted, running) : [];
  const passedAll = passed !== undefined && unjudged.length === 0;
  const note = fallBackNote(running, target, { highest, passed, unjudged });
  const withdrawn = withNotes({ ...running, endedAt: now, outcome: 'withdrawn' }, [note, ...notes]);
  const next = { ...release, gates, phases: replace(withdrawn) };
  return passedAll ? { release: { ...next, phase }, passedAll } : { release: next, enter: phase };
}

/**
 * A running A/B under an A/B config whose split or sticky header may differ from the one it runs
 * at. Its one phase is its whole analysis: entering it again discards its data and restarts its
 * step-duration cap. A raised split is not taken: the A/B goes on at its current split, as the run
 * goes on under `config` with it. A lowered split (less traffic for the candidate), or a new
 * header on a target that routes by it (each user's arm changes), starts the A/B again. A target
 * that splits each request at random never used the header: the A/B goes on.
 */
function reconcileAb(
  release: Release,
  running: PhaseRecord,
  config: ModelConfig,
  gatesFor: (fullTraffic: boolean) => ReturnType<typeof reconcileGates>,
  now: number,
): Reconciled {
  const strategy = config.strategy as AbStrategyConfig;
  const header = /^A\/B \S+ by (.+)$/.exec(running.name)?.[1] ?? strategy.stickyHeader;
  const split = Math.min(running.weight, strategy.split);
  const under: ModelConfig =
    split === strategy.split ? config : { ...config, strategy: { ...strategy, split } };
  const taken = under === config ? {} : { config: under };
  const phase = phasesOf(under.strategy)[0] as Phase;
  const { gates, notes } = gatesFor(false);
  const newHeader = header.toLowerCase() !== strategy.stickyHeader.toLowerCase();
  const routed = targetCapabilities(config.target.type).sticky === 'key';
  const replace = (last: PhaseRecord) => [...release.phases.slice(0, -1), last];
  if (split < running.weight || (newHeader && routed)) {
    const changed = [
      ...(split < running.weight ? [`split ${running.weight}% → ${split}%`] : []),
      ...(newHeader ? [`sticky header ${header} → ${strategy.stickyHeader}`] : []),
    ];
    const note = `the config changes the A/B's ${changed.join(' and ')}: the A/B starts again at ${phase.name} (${liveTrafficText(phase.weight)}), and its data and its step-duration cap start again`;
    const withdrawn = withNotes({ ...running, endedAt: now, outcome: 'withdrawn' }, [note, ...notes]);
    return { release: { ...release, gates, phases: replace(withdrawn) }, enter: 0, ...taken };
  }
  const said = [
    ...(strategy.split > running.weight
      ? [
          `the config raises the A/B's split ${running.weight}% → ${strategy.split}%: a config change never raises the candidate's traffic, so this A/B goes on at ${running.weight}%, its data kept; the new split applies to the next release (push a commit to the PR, with the new split in its config, to start one)`,
        ]
      : []),
    ...(newHeader
      ? [
          `the config changes the A/B's sticky header ${header} → ${strategy.stickyHeader}: the ${config.target.type} target does not use it (it splits each request at random by weight), so the A/B goes on, its data kept`,
        ]
      : []),
    ...notes,
  ];
  if (said.length === 0 && phase.name === running.name && release.phase === 0)
    return { release: gates === release.gates ? release : { ...release, gates }, ...taken };
  const last = withNotes({ ...running, name: phase.name }, said);
  return { release: { ...release, gates, phase: 0, phases: replace(last) }, ...taken };
}

/**
 * No configured phase is below the running one's share, and none does what it does (a canary at
 * 10% whose steps become [25, 50]; a canary at 10% that becomes an A/B at 50%): entering one would
 * raise the candidate's traffic with no pass, or switch the strategy of the running release. The running phase goes on instead, its data kept, under a
 * config for this look that has it: a running step goes on as the first of the configured shares
 * above it, taken only once it passes; under another strategy, the release goes on as it runs (an
 * A/B at its split; a canary's last step, its last), the new strategy for the next release.
 * Undefined where the running phase is not one this can keep (a shadow, a smoke test, a batch).
 */
function heldAbove(release: Release, running: PhaseRecord, config: ModelConfig, now: number) {
  const { stepDurationMs, minRequests, intervalMs } = config.strategy;
  const timing = { stepDurationMs, minRequests, intervalMs };
  const type = config.strategy.type;
  const steps = type === 'canary' || type === 'linear';
  const at = liveTrafficText(running.weight);
  const changed = `the config changes the strategy to ${type}, with no phase below the candidate's ${at}: a config change never raises the candidate's traffic, so the release goes on`;
  const next = `the new strategy applies to the next release (push a commit to the PR, with the new strategy in its config, to start one)`;
  let strategy: StrategyConfig;
  let said: (kept: string) => string;
  const ab = /^A\/B (\S+) by (.+)$/.exec(running.name);
  const step = /^step (\d+) of (\d+)$/.exec(running.name);
  if (ab?.[2]) {
    strategy = { type: 'ab', split: running.weight, stickyHeader: ab[2], ...timing };
    said = (kept) => `${changed} as an A/B: ${kept} (${at}) goes on, its data kept; ${next}`;
  } else if (step && running.weight > 0) {
    const weights = phasesOf(config.strategy).map((p) => p.weight);
    const above = [...new Set(weights.filter((w) => w > running.weight))].sort((a, b) => a - b);
    const last = step[1] === step[2];
    // Its own last step: nothing above it to take but what the new strategy would have.
    const then = steps || !last ? above : [];
    strategy = { type: 'canary', steps: [running.weight, ...then], ...timing };
    const shares = then.map((w) => `${w}%`).join(', ');
    const after = then.length > 0 ? ` and on to ${shares} of live traffic only once it passes` : '';
    said = steps
      ? (kept) =>
          `every configured phase is above the candidate's ${at}: a config change never raises the candidate's traffic, so the running phase goes on as ${kept}, its data kept,${after}`
      : (kept) =>
          `${changed} as a canary: ${kept} (${at}) goes on, its data kept,${after || ' the last phase before the release is ready'}; ${next}`;
  } else return undefined;
  const under: ModelConfig = { ...config, strategy };
  const kept = reconcileWithConfig(release, under, now);
  const record = kept.release.phases.at(-1) as PhaseRecord;
  const noted = withNotes(record, [said(record.name)]);
  const phases = [...kept.release.phases.slice(0, -1), noted];
  return { ...kept, release: { ...kept.release, phases }, config: kept.config ?? under };
}

/**
 * The same phase in all but name: the same share of live traffic, and the same kind. A phase's
 * name is its kind and its numbers (`step 2 of 3`, `bake on green`, `smoke on green`, `shadow 5% of
 * requests`, `A/B 50/50 by x-user-id`, `batch 1 of 4 (1/4 instances)`): without the numbers, which a
 * step count, a shadow's share or a rolling update's instances change, it says what the phase does
 * (a smoke test, a hold, a mirror, a sticky split on its key). A stored record has only its name.
 */
function doesSame(p: Phase | undefined, record: PhaseRecord): boolean {
  return p !== undefined && p.weight === record.weight && phaseKind(p.name) === phaseKind(record.name);
}

/**
 * The running phase is not configured: the release goes on at the configured phase with the most
 * live traffic at or below the candidate's current share (a 0% smoke test or shadow counts), so a
 * config change never raises it; the traffic rises from there only through phases that pass.
 * Every configured phase above the current share: the first, as a new release would start.
 */
function fallBack(running: PhaseRecord, phases: Phase[]) {
  const highest = phases
    .filter((p) => p.weight <= running.weight)
    .reduce<Phase | undefined>((a, p) => (a && a.weight >= p.weight ? a : p), undefined);
  return { phase: highest ? phases.indexOf(highest) : 0, highest: highest !== undefined };
}

/**
 * Where the release went from the running phase, not configured. `passed`: the phase found is the
 * last and the release passed it just before (a config with a step more took it on): it passed them
 * all, and is not sent down to pass it again, unless that phase did not judge `unjudged` (gates
 * added or defined otherwise since): it goes on there, to judge them.
 */
function fallBackNote(
  running: PhaseRecord,
  target: Phase,
  { highest, passed, unjudged }: { highest: boolean; passed?: PhaseRecord | undefined; unjudged: string[] },
): string {
  const words = (p: { name: string; weight: number }) => `${p.name} (${liveTrafficText(p.weight)})`;
  const missing = `${words(running)} is not a phase of the configured strategy`;
  if (passed && unjudged.length === 0)
    return `${missing}, whose last phase the release passed before it: ${words(passed)}`;
  if (passed) {
    const many = unjudged.length > 1;
    const gates = `gate${many ? 's' : ''} ${unjudged.map((n) => `"${n}"`).join(', ')}`;
    return `${missing}: the release goes on at its last phase, ${words(target)}, passed before without ${gates}, to judge ${many ? 'them' : 'it'}`;
  }
  const where = highest
    ? `goes on at ${words(target)}, its phase with the most traffic not above the current share`
    : `starts over at its first phase, ${words(target)}, as a new release would: each of its phases gives the candidate more traffic`;
  return `${missing}: the release ${where}`;
}

/**
 * The configured gates without a pass that the phases before the running one did not judge as
 * defined now: `restarted` on this look, or on an earlier one in the running phase (its note says
 * so, as reconcileGates words it: `gate "x" was added to the config: judged from here`).
 */
function notJudgedBefore(gates: GateState[], restarted: string[], running: PhaseRecord): string[] {
  const said = (running.note ?? '').split('; ');
  const restartedThere = (name: string) =>
    said.some(
      (n) =>
        n.startsWith(`gate "${name}" `) &&
        (n.endsWith(': judged from here') || n.endsWith(': judged afresh from here')),
    );
  return gates
    .filter((g) => g.kind !== 'offline' && g.verdict !== 'pass')
    .filter((g) => restarted.includes(g.name) || restartedThere(g.name))
    .map((g) => g.name);
}

/** `record` with each of `notes` its note does not already say: configs taking turns do not grow it. */
function withNotes(record: PhaseRecord, notes: string[]): PhaseRecord {
  let note = record.note;
  for (const n of notes) if (!note?.includes(n)) note = note ? `${note}; ${n}` : n;
  return note === undefined ? record : { ...record, note };
}

/**
 * The configured live gates, each with its stored state (by name) when it is of the same kind and
 * definition, else pending as a new release's; a stored gate not configured any more is dropped, so
 * it no longer holds a phase or an A/B open. Offline gates were checked before deploying, on the
 * PR's files: their stored results stand. `fullTrafficAt` (now): the release stays at 100% of live
 * traffic, where a side-by-side gate defined otherwise keeps the pass an earlier phase gave it, as
 * no stable traffic is left to judge it again; a gate that changed kind is another gate.
 */
function reconcileGates(stored: GateState[], configured: GateConfig[], fullTrafficAt?: number) {
  const live = configured.filter(isLiveGate);
  const statistical = configured.filter(isStatistical).length;
  const notes: string[] = [];
  const restarted: string[] = [];
  let changed = false;
  const gates = live.map((c) => {
    const s = stored.find((g) => g.name === c.name);
    const print = fingerprint(c, statistical);
    if (s && s.kind === c.kind && (s.fingerprint ?? print) === print) {
      if (s.fingerprint === print) return s;
      // Stored before gates kept one: judged under this config from here, without a restart.
      changed = true;
      return { ...s, fingerprint: print };
    }
    changed = true;
    if (s?.kind === c.kind && s.verdict === 'pass' && isSideBySide(c) && fullTrafficAt !== undefined) {
      notes.push(
        `gate "${c.name}" is configured differently: its pass in the earlier phases stands, with no stable traffic left to judge it again`,
      );
      return { ...s, fingerprint: print, last: carriedLook(fullTrafficAt, true) };
    }
    restarted.push(c.name);
    notes.push(
      !s
        ? `gate "${c.name}" was added to the config: judged from here`
        : s.kind !== c.kind
          ? `gate "${c.name}" changed kind (${s.kind} → ${c.kind}): judged afresh from here`
          : `gate "${c.name}" is configured differently: judged afresh from here`,
    );
    return { ...pendingGate(c), fingerprint: print };
  });
  for (const s of stored) {
    if (s.kind === 'offline' || live.some((c) => c.name === s.name)) continue;
    notes.push(
      configured.some((c) => c.name === s.name)
        ? `gate "${s.name}" is now an offline gate, checked before deploying: not judged from here`
        : `gate "${s.name}" is no longer configured: not judged from here`,
    );
  }
  if (!changed && notes.length === 0) return { gates: stored, notes, restarted };
  const offline = stored.filter((g) => g.kind === 'offline' && !live.some((c) => c.name === g.name));
  return { gates: [...offline, ...gates], notes, restarted };
}

/**
 * A short hash of the gate's definition: its fields as the run's config has them, with the alpha
 * as written. The config splits that among the model's statistical gates (config/gate-schema.ts
 * splitAlpha): a gate added beside it changes its share, not its definition. Not where a webhook is
 * asked (`url`, `headers`): they may carry secrets, and the hash is stored in the PR comment.
 */
export function fingerprint(gate: GateConfig, statistical: number): string {
  const { headers: _, url: __, ...fields } = gate as GateConfig & { headers?: unknown; url?: unknown };
  const alpha =
    'alpha' in fields && isStatistical(gate)
      ? { alpha: Number((fields.alpha * statistical).toPrecision(12)) }
      : {};
  const defined: Record<string, unknown> = { ...fields, ...alpha };
  const sorted = Object.keys(defined)
    .sort()
    .map((k) => [k, defined[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 12);
}
