import type { Config, GateConfig } from '../config/types.js';

/**
 * Whether a gate's looks go to the observation log (observed-look.ts): those a judge of its own
 * judges, as `model-gate analyze` replays them. Not a threshold's, an offline file's nor a
 * webhook's answer, nor a ratio or latency gate's under `judge: threshold`.
 */
function logged(gate: GateConfig): boolean {
  switch (gate.kind) {
    case 'threshold':
    case 'offline':
    case 'webhook':
      return false;
    case 'ratio':
    case 'latency':
      return gate.judge !== 'threshold';
    default:
      return true;
  }
}

const described = (gate: GateConfig): string =>
  (gate.kind === 'ratio' || gate.kind === 'latency') && gate.judge === 'threshold'
    ? `${gate.kind} (judge: threshold)`
    : gate.kind;

/**
 * A line for the model of each of `releases` (a PR event's) whose gates write no observation log:
 * README's next step, `model-gate analyze` on the log beside the ledger, finds no folder, and
 * nothing would say why.
 */
export function noObservationLogLines(config: Config, releases: { model: string }[]): string[] {
  return [...new Set(releases.map((r) => r.model))].flatMap((model) => {
    const gates = config.models[model]?.gates;
    if (gates === undefined || gates.some(logged)) return [];
    if (gates.length === 0) return [`no observation log: ${model} has no gates`];
    const kinds = [...new Set(gates.map(described))].join('/');
    return [`no observation log: ${model}'s gates are ${kinds}, which analyze does not replay`];
  });
}
