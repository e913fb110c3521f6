import { z } from 'zod';
import type { CommandTargetConfig } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { commandLine, lastLines, runCli } from './cli.js';
import { TargetBusyError } from './errors.js';
import { parseCliJson } from './platform-cli.js';
import type { Target } from './target.js';

// The user's own commands, run without a shell through @actions/exec with argument arrays:
// `apply` makes the platform serve a traffic state, `read` prints the served state as JSON.
// Placeholders are replaced only as whole arguments, so a version can never be split into
// several arguments or read as an option: {{stable}}, {{candidate}} (empty when there is
// none), {{weight}} (the candidate's percent). The same values are in the environment as
// MODEL_GATE_STABLE, MODEL_GATE_CANDIDATE, MODEL_GATE_WEIGHT, with MODEL_GATE_MODEL.
// An apply command that exits 75 (EX_TEMPFAIL, sysexits.h) says the platform is busy.

export const EXIT_BUSY = 75;

const readSchema = z.object({
  stable: z.object({ version: z.string().min(1) }),
  canary: z.object({ version: z.string().min(1), weight: z.number().min(0).max(100) }).nullish(),
});

export function commandArguments(template: readonly string[], values: Record<string, string>): string[] {
  return template.map((arg) => {
    const m = /^\{\{(stable|candidate|weight)\}\}$/.exec(arg);
    return m ? (values[m[1] as string] ?? '') : arg;
  });
}

export function commandTarget(config: CommandTargetConfig, modelName: string): Target {
  const [program] = config.apply;
  const description = `command target ${program} for ${modelName}`;

  return {
    description,
    async read() {
      const argv = config.read;
      const result = await runCli(argv, {
        timeoutMs: config.timeoutMs,
        env: { MODEL_GATE_MODEL: modelName },
      });
      if (result.exitCode !== 0) {
        throw new TargetError(
          `\`${commandLine(argv)}\` failed (exit ${result.exitCode}): ${lastLines(result.stderr)}`,
        );
      }
      const state = parseCliJson(readSchema, result.stdout, `\`${commandLine(argv)}\``);
      return state.canary ? { stable: state.stable, canary: state.canary } : { stable: state.stable };
    },
    async write(desired: TrafficState) {
      const values = {
        stable: desired.stable.version,
        candidate: desired.canary?.version ?? '',
        weight: String(desired.canary?.weight ?? 0),
      };
      const argv = commandArguments(config.apply, values);
      const result = await runCli(argv, {
        timeoutMs: config.timeoutMs,
        env: {
          MODEL_GATE_MODEL: modelName,
          MODEL_GATE_STABLE: values.stable,
          MODEL_GATE_CANDIDATE: values.candidate,
          MODEL_GATE_WEIGHT: values.weight,
        },
      });
      if (result.exitCode === EXIT_BUSY) {
        throw new TargetBusyError(
          `\`${commandLine(argv)}\` says the platform is busy: ${lastLines(result.stderr)}; try again later`,
        );
      }
      if (result.exitCode !== 0) {
        throw new TargetError(
          `\`${commandLine(argv)}\` failed (exit ${result.exitCode}): ${lastLines(result.stderr)}`,
        );
      }
    },
  };
}
