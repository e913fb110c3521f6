import * as core from '@actions/core';
import { readTimeLimit } from '../config/duration-input.js';
import { InputError } from '../core/errors.js';
import { versionProblem } from '../version/validate-version.js';

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

const COMMANDS: Command[] = ['release', 'rollback', 'promote', 'abort', 'status', 'tick', 'plan'];

export function readInputs(): Inputs {
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const command = core.getInput('command');
  if (command && !COMMANDS.includes(command as Command)) {
    throw new InputError(`input command: "${command}" is not one of ${COMMANDS.join(', ')}`);
  }
  const mode = core.getInput('mode') || 'watch';
  if (mode !== 'watch' && mode !== 'tick')
    throw new InputError(`input mode: "${mode}" must be watch or tick`);
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
    ledger: core.getInput('ledger') || 'github',
    githubToken: token,
  };
}
