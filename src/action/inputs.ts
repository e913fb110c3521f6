import * as core from '@actions/core';
import { readTimeLimit } from '../config/duration-input.js';
import { didYouMeanHint } from '../config/messages.js';
import { InputError } from '../core/errors.js';
import { versionProblem } from '../version/validate-version.js';
import type { ActionEvent } from './event.js';

export type Command = 'release' | 'rollback' | 'promote' | 'abort' | 'status' | 'tick' | 'plan';

/** The action's inputs, typed once at the edge. */
export interface Inputs {
  config: string;
  command?: Command;
  model?: string;
  toVersion?: string;
  mode: 'watch' | 'tick';
  maxWaitMs: number;
  dryRun: boolean;
  /** `github` (Deployments and the PR comment) or the path of a local ledger file. */
  ledger: string;
  githubToken: string;
}

type EventKind = ActionEvent['kind'];

/**
 * The events each command runs on (action.yml's `command`, the README's Inputs): a command given
 * as a fixed value in a workflow with several triggers is refused on the others before anything
 * changes, as a rollback on every PR opened would roll production back. tick and status, which a
 * plan fans out on workflow_dispatch and schedule, also run in a PR's job (a tick drives only
 * releases already in flight, status reads only); a push runs only plan.
 */
const RUNS_ON: Record<Command, readonly EventKind[]> = {
  release: ['pull_request'],
  rollback: ['dispatch'],
  promote: ['dispatch'],
  abort: ['dispatch'],
  status: ['dispatch', 'schedule', 'pull_request'],
  tick: ['schedule', 'dispatch', 'pull_request'],
  plan: ['pull_request', 'push', 'dispatch', 'schedule'],
};

/** What an event runs when `command` is empty: none on a push. */
const DEFAULT_ON: Record<EventKind, Command | undefined> = {
  pull_request: 'release',
  schedule: 'tick',
  dispatch: 'status',
  push: undefined,
};

const COMMANDS = Object.keys(RUNS_ON) as Command[];

/** The event's name, as a workflow's `on:` spells it. */
export const eventName = (kind: EventKind) => (kind === 'dispatch' ? 'workflow_dispatch' : kind);

/**
 * The command this run carries out on `event`: the input, else the event's own; refused where it
 * does not run, or given a to-version it would not read.
 */
export function commandOn(inputs: Pick<Inputs, 'command' | 'toVersion'>, event: ActionEvent): Command {
  const name = event.kind === 'pull_request' ? event.trigger : eventName(event.kind);
  const chosen = inputs.command ?? DEFAULT_ON[event.kind];
  if (chosen === undefined) throw new InputError(`on a ${name} event model-gate runs only command: plan`);
  if (!RUNS_ON[chosen].includes(event.kind)) {
    const where = RUNS_ON[chosen].map(eventName).join(' or ');
    const instead = DEFAULT_ON[event.kind]
      ? `leave command empty on ${name}`
      : `set command: plan on ${name}`;
    throw new InputError(`command: ${chosen} runs on ${where} (this is a ${name} event): ${instead}`);
  }
  // Refused rather than ignored, for every command: `command: promote, to-version: v2` would
  // promote the ready release, another version, and a tick or plan would quietly do what it
  // always does while the engineer believes v2 is on its way back.
  if (inputs.toVersion === undefined || chosen === 'rollback') return chosen;
  const rollback = RUNS_ON.rollback.includes(event.kind)
    ? 'or set command: rollback'
    : `command: rollback runs on ${RUNS_ON.rollback.map(eventName).join(' or ')} only`;
  throw new InputError(
    `input to-version: only command: rollback reads it, and command is ${chosen}: remove to-version, ${rollback}`,
  );
}

export function readInputs(): Inputs {
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const command = core.getInput('command');
  if (command && !COMMANDS.includes(command as Command)) {
    throw new InputError(
      `input command: "${command}" is not one of ${COMMANDS.join(', ')}${didYouMeanHint(command, COMMANDS)}`,
    );
  }
  const mode = core.getInput('mode') || 'watch';
  if (mode !== 'watch' && mode !== 'tick')
    throw new InputError(
      `input mode: "${mode}" must be watch or tick${didYouMeanHint(mode, ['watch', 'tick'])}`,
    );
  const maxWait = core.getInput('max-wait') || '5h';
  const limit = readTimeLimit(maxWait);
  if ('problem' in limit) throw new InputError(`input max-wait: ${limit.problem}`);
  // Checked here, as --to-version is on the command line, and named as the input.
  const toVersion = core.getInput('to-version') || undefined;
  const versionRefused = toVersion === undefined ? undefined : versionProblem(toVersion);
  if (versionRefused) throw new InputError(`input to-version: ${versionRefused}`);
  // The spellings of the YAML 1.2 core schema, as the toolkit's getBooleanInput reads them.
  const dryRun = core.getInput('dry-run') || 'false';
  if (!['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].includes(dryRun))
    throw new InputError(`input dry-run: "${dryRun}" must be true or false`);
  return {
    config: core.getInput('config') || '.github/model-gate.yml',
    command: (command || undefined) as Command | undefined,
    model: core.getInput('model') || undefined,
    toVersion,
    mode,
    maxWaitMs: limit.ms,
    dryRun: dryRun.toLowerCase() === 'true',
    ledger: readLedger(),
    githubToken: token,
  };
}

/** `github`, or a ledger file's path; `GitHub` would quietly be a file named GitHub in the workspace. */
function readLedger(): string {
  const ledger = core.getInput('ledger') || 'github';
  if (ledger !== 'github' && ledger.toLowerCase() === 'github')
    throw new InputError(
      `input ledger: "${ledger}" would be a file of that name; write github for the GitHub ledger`,
    );
  return ledger;
}
