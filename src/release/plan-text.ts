import type { ModelConfig } from '../config/types.js';
import type { PlannedModel, PlannedPhase } from './plan.js';

// Words for a plan, shared by the CLI's output and the action's log, summary and `models` output.

/** `1.0.0 → 1.1.0`, `new → 2.0`, or nothing when no version was compared. */
function change(p: PlannedModel): string {
  if (p.to === undefined) return '';
  return ` ${p.from ?? 'new'} → ${p.to}`;
}

const share = (phase: PlannedPhase) => (phase.slot === 'shadow' ? 'mirrored' : `${phase.weight}%`);

/** One line: `fraud 1.0.0 → 1.1.0: canary on kserve, 3 phases (10%, 25%, 50%)`. */
export function plannedSentence(p: PlannedModel): string {
  const n = p.phases.length;
  return `${p.model}${change(p)}: ${p.strategy} on ${p.target}, ${n} phase${n === 1 ? '' : 's'} (${p.phases.map(share).join(', ')})`;
}

/** The model's line, then one indented line per phase. */
export function plannedLines(p: PlannedModel): string[] {
  return [
    `${p.model}${change(p)}: ${p.strategy} on ${p.target}`,
    ...p.phases.map(
      (phase, i) =>
        `  ${i + 1}. ${phase.name}: ${phase.slot === 'shadow' ? 'mirrored copies of live requests, no live traffic' : `${phase.weight}% of live traffic`}`,
    ),
    ...(p.note ? [`  note: ${p.note}`] : []),
  ];
}

/** `4 canary steps`, `1 shadow phase`, `3 rolling batches`: what the strategy's phases are called. */
export function phaseCount(model: ModelConfig, n: number): string {
  const { type } = model.strategy;
  const noun = type === 'canary' || type === 'linear' ? 'step' : type === 'rolling' ? 'batch' : 'phase';
  const plural = n === 1 ? noun : noun === 'batch' ? 'batches' : `${noun}s`;
  return `${n} ${type === 'ab' ? 'A/B' : type} ${plural}`;
}
