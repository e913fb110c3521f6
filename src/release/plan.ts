import type { Config, ModelConfig } from '../config/types.js';
import { phasesOf } from '../strategies/strategy.js';
import { perRequestSplitNote } from '../targets/capabilities.js';
import {
  type ChangedModel,
  checkModelName,
  type FileReader,
  findChangedModels,
} from '../version/changed-models.js';

/** One phase a release would run: the candidate's share of live traffic, or a mirrored copy. */
export interface PlannedPhase {
  name: string;
  /** Percent of live traffic on the candidate (0 for a shadow). */
  weight: number;
  slot: 'canary' | 'shadow';
}

/** A model a release would act on, and how. `to` is absent when no version was compared. */
export interface PlannedModel {
  model: string;
  /** The version declared at the base; absent for a model new in the change. */
  from?: string;
  to?: string;
  strategy: ModelConfig['strategy']['type'];
  target: ModelConfig['target']['type'];
  phases: PlannedPhase[];
  /** What the user should know of how the target carries the strategy out (an A/B split per request). */
  note?: string;
}

/** A GitHub Actions matrix: one job per model, each passing `model: ${{ matrix.model }}`. */
export interface Matrix {
  include: { model: string }[];
}

/**
 * What a run would do, without deploying anything. `matrix` is always valid JSON for
 * `fromJSON`; with no models its `include` is empty and `hasModels` false, so a workflow can
 * skip the fan-out job (GitHub fails a matrix job whose matrix is empty).
 */
export interface Plan {
  models: PlannedModel[];
  matrix: Matrix;
  hasModels: boolean;
}

export interface PlanOptions {
  /** Only this model (the action's `model` input). */
  only?: string;
  /** The files the PR touches, when known (as a release reads them). */
  touched?: ReadonlySet<string>;
}

/** The models whose declared version changes from `base` to `head`: the ones a release would deploy. */
export async function planChanges(
  config: Config,
  reader: FileReader,
  base: string,
  head: string,
  opts: PlanOptions = {},
): Promise<Plan> {
  const changed = await findChangedModels(config, reader, base, head, opts.only, opts.touched);
  return planOf(changed.map((change) => planned(config.models[change.model] as ModelConfig, change)));
}

/** Every configured model (or `only`): the fan-out of commands that act on any model (tick, status). */
export function planAll(config: Config, only?: string): Plan {
  if (only !== undefined) checkModelName(config, only);
  const models = Object.values(config.models).filter((m) => only === undefined || m.name === only);
  return planOf(models.map((model) => planned(model)));
}

export const emptyPlan = (): Plan => planOf([]);

function planOf(models: PlannedModel[]): Plan {
  return {
    models,
    matrix: { include: models.map((m) => ({ model: m.model })) },
    hasModels: models.length > 0,
  };
}

function planned(model: ModelConfig, change?: ChangedModel): PlannedModel {
  const { strategy } = model;
  const note =
    strategy.type === 'ab' ? perRequestSplitNote(model.target.type, strategy.stickyHeader) : undefined;
  return {
    model: model.name,
    ...(change?.from !== undefined ? { from: change.from } : {}),
    ...(change ? { to: change.to } : {}),
    strategy: model.strategy.type,
    target: model.target.type,
    phases: phasesOf(model.strategy).map((p) => ({ name: p.name, weight: p.weight, slot: p.candidateSlot })),
    ...(note ? { note } : {}),
  };
}
