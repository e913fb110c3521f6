/**
 * The placeholders of a command target's `apply` (replaced as whole arguments), each with the
 * environment variable that carries the same value. Shared by the adapter and the config check.
 */
export const COMMAND_VALUES = {
  stable: 'MODEL_GATE_STABLE',
  candidate: 'MODEL_GATE_CANDIDATE',
  weight: 'MODEL_GATE_WEIGHT',
  mirror: 'MODEL_GATE_MIRROR',
  'mirror-share': 'MODEL_GATE_MIRROR_SHARE',
  'sticky-header': 'MODEL_GATE_STICKY_HEADER',
} as const;

export type CommandValue = keyof typeof COMMAND_VALUES;
