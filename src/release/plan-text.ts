import type { ModelConfig } from '../config/types.js';
import { counted } from '../core/text.js';
import { headName } from '../version/head-name.js';
import type { HeadVersion } from './merged-head.js';
import type { PlannedModel, PlannedPhase } from './plan.js';

// Words for a plan, shared by the CLI's output and the action's log, summary and `models` output.

/** `1.0.0 → 1.1.0`, `new → 2.0`, or nothing when no version was compared. */
function change(p: PlannedModel): string {
  if (p.to === undefined) return '';
  return ` ${p.from ?? 'new'} → ${p.to}`;
}

const share = (phase: PlannedPhase) =>
  phase.smoke ? 'smoke test' : phase.slot === 'shadow' ? 'mirrored' : `${phase.weight}%`;

/** What a phase gives the candidate: `25% of live traffic`, mirrored copies, or a smoke test's requests. */
function carries(phase: PlannedPhase): string {
  if (phase.smoke) return 'synthetic requests straight to the candidate, no live traffic';
  if (phase.slot === 'shadow') return 'mirrored copies of live requests, no live traffic';
  return `${phase.weight}% of live traffic`;
}

/**
 * One line: `fraud 1.0.0 → 1.1.0: canary on kserve, 3 phases (10%, 25%, 50%)`; for a model listed
 * for its PR's candidate still deployed, what its job does with it.
 */
export function plannedSentence(p: PlannedModel): string {
  if (p.live) return `${p.model}: ${p.live.reason}`;
  const n = p.phases.length;
  return `${p.model}${change(p)}: ${p.strategy} on ${p.target}, ${counted(n, 'phase')} (${p.phases.map(share).join(', ')})`;
}

/** The model's line, then one indented line per phase (none for a candidate its job only settles). */
export function plannedLines(p: PlannedModel): string[] {
  if (p.live) return [plannedSentence(p)];
  return [
    `${p.model}${change(p)}: ${p.strategy} on ${p.target}`,
    ...p.phases.map((phase, i) => `  ${i + 1}. ${phase.name}: ${carries(phase)}`),
    ...(p.runs ? [`  runs: ${p.runs}`] : []),
    ...(p.note ? [`  note: ${p.note}`] : []),
  ];
}

/**
 * Why a PR's plan lists a model whose version the PR does not change, and what its job does: the
 * PR's candidate is still deployed and holds the canary slot, so a job must run to settle it.
 * `head` says how the (merged) head leaves the version, when it was read.
 */
export function liveCandidateReason(c: {
  model: ModelConfig;
  version: string;
  status: 'analysing' | 'ready';
  /** The event: a new head of the open PR, its merge, or its close without merging. */
  event: 'open' | 'merged' | 'closed';
  headSha: string;
  head?: HeadVersion;
}): string {
  const deployed = `${c.version} of this PR is still deployed (${c.status})`;
  const frees = 'frees the canary slot';
  if (c.event === 'closed')
    return `${deployed} and the PR was closed without merging: its job withdraws it and ${frees}`;
  const at = `${c.event === 'merged' ? 'the merged head' : 'head'} ${headName(c.headSha)}`;
  if (!c.head) return `${deployed}: its job promotes it if it passes on ${at}, else withdraws it`;
  const withdraws = c.event === 'merged' ? 'withdraws it unpromoted' : 'withdraws it';
  const { file } = c.model.source;
  if ('invalid' in c.head)
    return `${deployed} but ${at} declares no valid version in ${file}, so there is nothing to promote or analyse: its job ${withdraws} and ${frees}; ${c.head.invalid}`;
  if ('other' in c.head) {
    const then =
      c.model.onMerge === 'analyze-then-promote'
        ? `withdraws it and analyses ${c.head.other} on it (on-merge: analyze-then-promote)`
        : `${withdraws} (on-merge: require-pass) and ${frees}`;
    return `${deployed} but ${at} declares ${c.head.other}: its job ${then}`;
  }
  const leaves =
    'absent' in c.head ? `${at} has no ${file}` : `${at} declares ${c.head.same}, as the base does`;
  return `${deployed} but ${leaves}, so the PR no longer changes ${c.model.name}'s version: its job ${withdraws} and ${frees}`;
}

/** `4 canary steps`, `1 shadow phase`, `3 rolling batches`: what the strategy's phases are called. */
export function phaseCount(model: ModelConfig, n: number): string {
  const { type } = model.strategy;
  const noun = type === 'canary' || type === 'linear' ? 'step' : type === 'rolling' ? 'batch' : 'phase';
  const kind = type === 'ab' ? 'A/B' : type;
  return counted(n, `${kind} ${noun}`, `${kind} ${noun === 'batch' ? 'batches' : `${noun}s`}`);
}
