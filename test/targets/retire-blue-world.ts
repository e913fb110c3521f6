import { handleCommand } from '../../src/release/commands.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { prReleaseWorld } from '../support/pr-release-world.js';

export const MODEL = 'fraud';
export const HOUR = 3_600_000;

/**
 * fraud on blue-green (rollback-window 1h) over `target` (a YAML flow mapping: a platform's
 * stand-in), as the action runs it (prReleaseWorld): each PR event, tick and command builds its
 * targets afresh (a new process in CI), with a file ledger, a fake clock and scripted metrics that
 * pass the bake. `lines` has every log line and every line a tick reported for the model.
 */
export async function retireBlueWorld(target: string) {
  const { config, ports, clock, lines, release } = await prReleaseWorld(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: ${target}
    metrics: { type: file, path: unused.json }
    strategy: { type: blue-green, bake-duration: 1m, step-duration: 1m, rollback-window: 1h, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    HOUR,
  );
  /** PR `number` moving the model from `blue` to `green`, baked and merged: the release's status after each. */
  const promote = (number: number, blue: string, green: string) => release(number, blue, green);
  /** One schedule tick; what it reports for the model is added to `lines`. */
  async function tick(dryRun = false) {
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun });
    for (const s of result.skipped) if (s.model === MODEL) lines.push(s.why);
    return result;
  }
  const rollback = () =>
    handleCommand(config, 'rollback', { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' }, ports);
  return { clock, lines, promote, tick, rollback };
}
