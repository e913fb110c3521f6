import { z } from 'zod';
import type { CommandTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, type TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { type ChangeDeadline, callLimit, changesWithin, outOfTime } from './change-deadline.js';
import { commandLine, exitStatus, lastLines, runCli } from './cli.js';
import { COMMAND_VALUES, type CommandValue } from './command-values.js';
import { TargetRefusedError } from './errors.js';
import { argumentsIdentity, identityOf } from './identity.js';
import { parseCliJson, waitUntilSettled } from './platform-cli.js';
import type { KnownVersions, Target } from './target.js';

// The user's own commands, run without a shell (cli.ts spawns them) with argument arrays:
// `apply` makes the platform serve a traffic state, `read` prints the served state as JSON.
// Placeholders are replaced only as whole arguments, so a version can never be split into
// several arguments or read as an option: {{stable}}, {{candidate}} (empty when there is
// none), {{weight}} (the candidate's percent), {{mirror}} and {{mirror-share}} (a shadow's
// version and percent of requests copied), {{sticky-header}} (an A/B split's key). The same
// values are in the environment (COMMAND_VALUES), with MODEL_GATE_MODEL. `read` is given none
// (the config refuses braces in its arguments): it prints what serves, whatever was asked.
// An apply command that exits 75 (EX_TEMPFAIL, sysexits.h) says the platform is busy: it is run
// again every poll interval until the settle timeout, as the CLI-driven targets wait. One that
// exits 65 (EX_DATAERR) says the platform refuses the state asked for (a version not deployed on
// it) and nothing was changed: a refusal of the request, so a candidate never deployed is reported
// so, not rolled back; any other failure may be an outage, and is rolled back as one. One
// settle-timeout bounds a whole traffic change: every apply, the waits between them and the read
// after it, each command cut to the time left (change-deadline.ts).
// Messages name a command by its field and program only, never its arguments: one may hold a
// secret from `${VAR}` (`--password ${DEPLOY_PASSWORD}`), and messages reach PR comments.

export const EXIT_BUSY = 75;
export const EXIT_REFUSED = 65;

const readSchema = z.object({
  stable: z.object({ version: z.string().min(1) }),
  canary: z.object({ version: z.string().min(1), weight: z.number().min(0).max(100) }).nullish(),
  mirror: z.object({ version: z.string().min(1), share: z.number().min(0).max(100) }).nullish(),
  sticky: z.object({ header: z.string().min(1) }).nullish(),
});

export function commandArguments(
  template: readonly string[],
  values: Record<CommandValue, string>,
): string[] {
  return template.map((arg) => {
    const m = /^\{\{([a-z-]+)\}\}$/.exec(arg);
    const name = m?.[1] as CommandValue | undefined;
    return name !== undefined && name in COMMAND_VALUES ? values[name] : arg;
  });
}

/** How messages name a command: `the apply command \`deploy\` (4 arguments)`, no argument shown. */
export function commandLabel(field: 'apply' | 'read', argv: readonly string[]): string {
  const n = argv.length - 1;
  const args = n === 0 ? 'no arguments' : n === 1 ? '1 argument' : `${n} arguments`;
  return `the ${field} command \`${commandLine(argv.slice(0, 1))}\` (${args})`;
}

/** What `apply` is told: empty strings for the parts a state does not have. */
function valuesOf(desired: TrafficState): Record<CommandValue, string> {
  return {
    stable: desired.stable.version,
    candidate: desired.canary?.version ?? '',
    weight: String(desired.canary?.weight ?? 0),
    mirror: desired.mirror?.version ?? '',
    'mirror-share': String(desired.mirror?.share ?? 0),
    'sticky-header': desired.sticky?.header ?? '',
  };
}

export function commandTarget(
  config: CommandTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
): Target {
  const [program] = config.apply;
  const description = `command target ${program} for ${modelName}`;
  // Both commands' programs, and their arguments as a digest: one may hold a secret (see above).
  const identity = identityOf('command', {
    apply: program,
    read: config.read[0],
    arguments: argumentsIdentity(config.apply, config.read),
  });

  /**
   * Runs a command (`label` in messages) within its `timeout`, cut to the time `change` has left
   * when it belongs to a traffic change.
   */
  async function run(
    argv: readonly string[],
    label: string,
    env: Record<string, string>,
    change?: ChangeDeadline,
  ) {
    const limit = callLimit(config.timeoutMs, clock, change);
    if (change && limit.ms <= 0) throw outOfTime(label, change);
    return runCli(argv, { timeoutMs: limit.ms, cutBy: limit.cutBy, env, label });
  }

  /** What the read command prints; `change`: the traffic change this is the read-back of. */
  async function readWithin(_known: KnownVersions | undefined, change?: ChangeDeadline) {
    const label = commandLabel('read', config.read);
    const result = await run(config.read, label, { MODEL_GATE_MODEL: modelName }, change);
    if (result.exitCode !== 0) {
      throw new TargetError(`${label} failed (${exitStatus(result.exitCode)}): ${lastLines(result.stderr)}`);
    }
    const { stable, canary, mirror, sticky } = parseCliJson(readSchema, result.stdout, label);
    return {
      stable,
      ...(canary ? { canary } : {}),
      ...(mirror ? { mirror } : {}),
      ...(sticky ? { sticky } : {}),
    };
  }

  /** One traffic change: the apply, run again while it says the platform is busy, all within `change`. */
  async function changeTo(desired: TrafficState, change: ChangeDeadline) {
    const values = valuesOf(desired);
    const argv = commandArguments(config.apply, values);
    const label = commandLabel('apply', argv);
    const env = {
      MODEL_GATE_MODEL: modelName,
      ...Object.fromEntries(
        Object.entries(COMMAND_VALUES).map(([name, variable]) => [variable, values[name as CommandValue]]),
      ),
    };
    // Busy (exit 75): nothing was changed, so the same apply is run again once the platform is free.
    const result = await waitUntilSettled(
      async () => {
        const ran = await run(argv, label, env, change);
        return ran.exitCode === EXIT_BUSY
          ? { done: false, why: `${label} says the platform is busy: ${lastLines(ran.stderr)}` }
          : { done: true, value: ran };
      },
      config,
      clock,
      description,
      change,
    );
    if (result.exitCode === EXIT_REFUSED) {
      throw new TargetRefusedError(
        `${label} refused ${describeTraffic(desired)} (exit ${EXIT_REFUSED}: the platform does not take it, nothing was changed): ${lastLines(result.stderr)}`,
      );
    }
    if (result.exitCode !== 0) {
      throw new TargetError(`${label} failed (${exitStatus(result.exitCode)}): ${lastLines(result.stderr)}`);
    }
  }

  return {
    description,
    identity,
    stickySplit: targetCapabilities('command').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, readWithin),
  };
}
