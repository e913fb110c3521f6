import { SHADOW_SHARE_DEFAULT } from '../config/strategy-schema.js';
import type { TargetStrategy } from '../config/types.js';
import { COMMAND_VALUES } from './command-values.js';

/**
 * What each serving platform can do (SPEC section 5), so that a strategy a target cannot
 * carry out is refused when the config is validated, with the reason, instead of failing
 * half-way through a release.
 */

export const TARGET_STRATEGIES = ['canary', 'linear', 'blue-green', 'shadow', 'ab', 'rolling'] as const;

export const TARGET_TYPES = [
  'sandbox',
  'http',
  'command',
  'kserve',
  'sagemaker',
  'azureml',
  'vertex',
  'seldon',
] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export interface TargetCapabilities {
  /** Strategies the platform can carry out; for `http` and `command` the default of `strategies:`. */
  strategies: readonly TargetStrategy[];
  /** Why each other strategy is refused; for `http` and `command`, those no `strategies:` can declare. */
  refused: Partial<Record<TargetStrategy, string>>;
  /** `integer`: live weights are whole percentages on this platform. */
  weights: 'integer' | 'fractional';
  /** Largest share of live traffic that can be mirrored to a shadow, in percent (0: none). */
  maxMirrorPercent: number;
  /** True when the user declares the strategies in the config (`strategies:`). */
  declared: boolean;
  /** How an A/B split keeps a user on one arm (see StickySplit). */
  sticky: StickySplit;
  /** For a per-request split: whether and how a caller keeps a user on one arm, from the platform's docs. */
  pin?: string;
  /**
   * Whether a blue-green promotion leaves blue deployed at 0% beside green, kept warm for a
   * rollback until its rollback-window ends (retire-blue.ts). False where the platform routes green
   * alone and a rollback deploys blue again (KServe), or has no blue-green at all.
   */
  keepsBlue: boolean;
}

/**
 * `key`: the target routes by the A/B's sticky header itself and reports it when read back, so
 * the read-back must show it. `per-request`: the platform picks an arm for each request at random
 * by weight and cannot route by a request header; model-gate sets the weights only, neither asks
 * for nor expects back the sticky key, and the caller pins users if it needs to (`pin`).
 */
export type StickySplit = 'key' | 'per-request';

const ALL: readonly TargetStrategy[] = TARGET_STRATEGIES;
const NO_MIRROR = 'it has no traffic mirroring';
const NO_STICKY = 'it has no split by a sticky key (user id)';
const NO_BATCHES = 'it does not replace instances in batches that model-gate can drive';
const STEP_TRAFFIC = 'use canary or linear, which step live traffic, instead';
const PLACEHOLDERS = Object.keys(COMMAND_VALUES).map((name) => `{{${name}}}`);

const TABLE: Record<TargetType, TargetCapabilities> = {
  sandbox: {
    strategies: ALL,
    refused: {},
    weights: 'fractional',
    maxMirrorPercent: 100,
    declared: false,
    sticky: 'key',
    keepsBlue: true,
  },
  // The user's service or commands take the sticky header and must report it back.
  http: {
    strategies: ['canary'],
    refused: {
      rolling: `its contract's traffic state (TrafficState in docs/http-target.openapi.yaml) has no instance batches to ask your service for; ${STEP_TRAFFIC}`,
    },
    weights: 'fractional',
    maxMirrorPercent: 100,
    declared: true,
    sticky: 'key',
    keepsBlue: true,
  },
  command: {
    strategies: ['canary'],
    refused: {
      rolling: `apply is given no batch to replace (only ${PLACEHOLDERS.join(', ')}); ${STEP_TRAFFIC}`,
    },
    weights: 'fractional',
    maxMirrorPercent: 100,
    declared: true,
    sticky: 'key',
    keepsBlue: true,
  },
  kserve: {
    strategies: ['canary', 'linear', 'blue-green'],
    refused: {
      shadow: `${NO_MIRROR} (canaryTrafficPercent only splits live traffic)`,
      ab: NO_STICKY,
      rolling: NO_BATCHES,
    },
    weights: 'integer',
    maxMirrorPercent: 0,
    declared: false,
    // canaryTrafficPercent splits requests by weight; an A/B stays refused (NO_STICKY) there.
    sticky: 'per-request',
    // A promotion routes green alone; blue is an earlier revision that no route reaches (docs/targets/kserve.md).
    keepsBlue: false,
  },
  sagemaker: {
    strategies: ['canary', 'linear', 'blue-green', 'shadow', 'ab'],
    refused: { rolling: `${NO_BATCHES} (model-gate drives production-variant weights)` },
    // Variant weights are floats; a shadow variant gets up to every request (SamplingPercentage
    // <= 100, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ShadowModelVariantConfig.html),
    // set as its weight relative to the one production variant (sagemaker-shadow.ts).
    weights: 'fractional',
    maxMirrorPercent: 100,
    declared: false,
    // https://docs.aws.amazon.com/sagemaker/latest/dg/model-ab-testing.html: weights split the
    // requests; TargetVariant on InvokeEndpoint sends one to the variant named, over the weights.
    sticky: 'per-request',
    pin: "to keep a user on one arm, send the user's requests with InvokeEndpoint's TargetVariant set to that arm's production variant",
    keepsBlue: true,
  },
  azureml: {
    strategies: ['canary', 'linear', 'blue-green', 'shadow', 'ab'],
    refused: { rolling: `${NO_BATCHES} (model-gate drives the endpoint's traffic between deployments)` },
    weights: 'integer',
    maxMirrorPercent: 50,
    declared: false,
    // https://learn.microsoft.com/en-us/azure/machine-learning/how-to-safely-rollout-online-endpoints:
    // the header azureml-model-deployment invokes a deployment "without going through traffic rules".
    sticky: 'per-request',
    pin: "to keep a user on one arm, send the user's requests with the header azureml-model-deployment: <that arm's deployment>",
    keepsBlue: true,
  },
  vertex: {
    strategies: ['canary', 'linear', 'blue-green', 'ab'],
    refused: {
      shadow: `${NO_MIRROR} (an endpoint's traffic split only divides live traffic)`,
      rolling: NO_BATCHES,
    },
    weights: 'integer',
    maxMirrorPercent: 0,
    declared: false,
    // An endpoint's predict picks a deployed model per request by trafficSplit and takes no
    // choice from the caller; its answer names the deployedModelId that served it.
    sticky: 'per-request',
    pin: "Vertex AI cannot keep a user on one arm: predict takes no choice of deployed model (each answer's deployedModelId names the one that served it)",
    keepsBlue: true,
  },
  seldon: {
    strategies: ['canary', 'linear', 'shadow', 'ab'],
    refused: {
      'blue-green':
        'an Experiment splits traffic between running models; it has no warm standby to switch back to',
      rolling: NO_BATCHES,
    },
    weights: 'integer',
    maxMirrorPercent: 100,
    declared: false,
    // An Experiment has no sticky field (experiment_types.go); its "Sticky Sessions" are the
    // caller's: https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment
    sticky: 'per-request',
    pin: "to keep a user on one arm, send the x-seldon-route header of the user's first answer (with seldon-model) on the user's later requests",
    // No blue-green (refused above): nothing of blue to keep.
    keepsBlue: false,
  },
};

export function targetCapabilities(type: TargetType): TargetCapabilities {
  return TABLE[type];
}

/**
 * For a plan or a report: how an A/B on `type` splits when the platform splits per request, or
 * undefined when it routes by `stickyHeader` itself.
 */
export function perRequestSplitNote(type: TargetType, stickyHeader: string): string | undefined {
  const caps = targetCapabilities(type);
  if (caps.sticky === 'key') return undefined;
  const pin = caps.pin ? `; ${caps.pin}` : '';
  return `the ${type} target splits each request at random by weight, not by ${stickyHeader}, so a user can see both arms${pin}`;
}

const isTargetType = (value: unknown): value is TargetType =>
  typeof value === 'string' && (TARGET_TYPES as readonly string[]).includes(value);

// An unknown strategy type (a typo) is the strategy schema's to report, once.
const isStrategy = (value: unknown): value is TargetStrategy =>
  typeof value === 'string' && (TARGET_STRATEGIES as readonly string[]).includes(value);

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** Why a target cannot carry out a strategy; `at`: the strategy's field to blame (`['steps', 1]`), if one is. */
export interface StrategyRefusal {
  message: string;
  at?: (string | number)[];
}

/**
 * Why `target` cannot carry out `strategy`, or undefined when it can (or when either is too
 * malformed to judge: their own schemas report that). Both are the config as the user wrote
 * it (kebab-case keys, before normalisation), so `checkModels` can call this with
 * `model.target ?? defaults.target` and `model.strategy ?? defaults.strategy`.
 */
export function strategyRefusal(target: unknown, strategy: unknown): StrategyRefusal | undefined {
  const t = record(target);
  const s = record(strategy);
  if (!t || !s || !isTargetType(t.type) || !isStrategy(s.type)) return undefined;
  const caps = targetCapabilities(t.type);
  const wanted = s.type;
  if (caps.declared && caps.refused[wanted]) {
    return { message: `the ${t.type} target cannot do ${wanted}: ${caps.refused[wanted]}` };
  }
  if (caps.declared) {
    const declared = Array.isArray(t.strategies) ? t.strategies : caps.strategies;
    if (!declared.includes(wanted)) {
      return {
        message: `the ${t.type} target declares strategies: [${declared.join(', ')}], so it cannot do ${wanted}; add "${wanted}" to target.strategies if your ${t.type === 'http' ? 'service' : 'commands'} can`,
      };
    }
  } else if (!caps.strategies.includes(wanted)) {
    const why = caps.refused[wanted] ?? 'it is not supported there';
    return {
      message: `the ${t.type} target cannot do ${wanted}: ${why} (it can do ${caps.strategies.join(', ')})`,
    };
  }
  if (caps.weights === 'integer') {
    const fractional = percents(s).find(({ value }) => !Number.isInteger(value));
    if (fractional) {
      return {
        message: `the ${t.type} target takes whole percentages of traffic, got the ${fractional.name} ${fractional.value}; use whole numbers`,
        at: fractional.at,
      };
    }
  }
  if (wanted === 'shadow' && !caps.declared) {
    const share = s.share === undefined ? SHADOW_SHARE_DEFAULT : s.share;
    if (inRange(share) && share > caps.maxMirrorPercent) {
      const given = s.share === undefined ? `share ${share}% (the default)` : `share ${share}%`;
      return {
        message: `the ${t.type} target mirrors at most ${caps.maxMirrorPercent}% of live traffic, got ${given}; set strategy.share to ${caps.maxMirrorPercent} or less`,
      };
    }
  }
  return undefined;
}

/** A percentage of traffic a strategy asks for: what the user calls it (`step`) and where it is written. */
interface Percent {
  name: string;
  value: number;
  at: (string | number)[];
}

/** The percentages of traffic a strategy asks for (a step, a share), each with its field. */
function percents(strategy: Record<string, unknown>): Percent[] {
  const steps = Array.isArray(strategy.steps) ? strategy.steps : [];
  // Checked on the config as the schema converted it (stepSize), or as written (step-size).
  const named: [string, unknown][] = [
    ['step-size', strategy.stepSize ?? strategy['step-size']],
    ['max-weight', strategy.maxWeight ?? strategy['max-weight']],
    ['share', strategy.share],
    ['split', strategy.split],
  ];
  const all = [
    ...steps.map((value, i) => ({ name: 'step', value, at: ['steps', i] })),
    ...named.map(([name, value]) => ({ name, value, at: [name] })),
  ];
  return all.filter((entry): entry is Percent => inRange(entry.value));
}

/** A percentage the schema accepts; anything else is the schema's to report, not ours. */
const inRange = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 100;
