import type { Config, ModelConfig } from '../config/types.js';
import { ConfigError, InputError } from '../core/errors.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import { validateVersion } from '../version/validate-version.js';
import { promote, withdraw } from './finish.js';
import { contextFor, type Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import type { Release } from './types.js';

export interface CommandInputs {
  model?: string;
  toVersion?: string;
  dryRun: boolean;
}

/** workflow_dispatch commands: act on one model (or report on all) without any analysis. */
export async function handleCommand(
  config: Config,
  command: 'release' | 'rollback' | 'promote' | 'abort' | 'status' | 'tick',
  inputs: CommandInputs,
  ports: Ports,
): Promise<RunResult> {
  if (command === 'status') return status(config, ports);
  if (command === 'release' || command === 'tick')
    throw new InputError(
      `command ${command} needs a ${command === 'release' ? 'pull_request' : 'schedule'} event`,
    );
  const model = pickModel(config, inputs.model, command);
  const ctx = contextFor(model, ports);
  const release = await ports.ledger.release(model.name);
  switch (command) {
    case 'rollback':
      return rollback(model, inputs, ports, release);
    case 'promote': {
      if (release?.status !== 'ready') {
        throw new InputError(
          `promote ${model.name}: no release is ready (last: ${release ? `${release.to} ${release.status}` : 'none'})`,
        );
      }
      const promoted = inputs.dryRun
        ? release
        : await promote(release, ctx, ports.ledger, 'promoted by workflow_dispatch');
      return { releases: [promoted], skipped: [] };
    }
    case 'abort': {
      if (release?.status !== 'analysing' && release?.status !== 'ready') {
        return { releases: [], skipped: [{ model: model.name, why: 'no release in flight to abort' }] };
      }
      const aborted = inputs.dryRun
        ? release
        : await withdraw(release, ctx, 'aborted', 'aborted by workflow_dispatch');
      if (!inputs.dryRun) await ports.ledger.saveRelease(aborted);
      return { releases: [aborted], skipped: [] };
    }
  }
}

/**
 * One target call to `to-version` (default: the version before the current stable), no
 * analysis; a release in flight for the model is ended as aborted.
 */
async function rollback(
  model: ModelConfig,
  inputs: CommandInputs,
  ports: Ports,
  inFlight?: Release,
): Promise<RunResult> {
  const ctx = contextFor(model, ports);
  const serving = (await ctx.target.read()).stable.version;
  const history = await ports.ledger.history(model.name);
  const to = inputs.toVersion
    ? validateVersion(inputs.toVersion, { file: 'input', key: 'to-version' })
    : history.findLast((e) => e.version === serving)?.previous;
  if (!to)
    throw new InputError(
      `rollback ${model.name}: set to-version; the ledger has no version before ${serving}`,
    );
  if (inputs.dryRun)
    return { releases: [], skipped: [{ model: model.name, why: `would roll back ${serving} -> ${to}` }] };
  await reconcile(ctx.target, withdrawTraffic(to));
  const now = ctx.clock.now();
  if (inFlight && (inFlight.status === 'analysing' || inFlight.status === 'ready')) {
    await ports.ledger.saveRelease({
      ...inFlight,
      status: 'aborted',
      updatedAt: now,
      reason: `rolled back to ${to} by workflow_dispatch`,
    });
  }
  const entry = {
    model: model.name,
    kind: 'rollback' as const,
    version: to,
    previous: serving,
    at: now,
    summary: 'rolled back by workflow_dispatch',
  };
  await ports.ledger.record(entry);
  const introducedBy = history.findLast((e) => e.version === serving)?.pr;
  const why = `${serving} was rolled back to ${to} by workflow_dispatch`;
  return {
    releases: [],
    skipped: [],
    rollbacks: [entry],
    notify: introducedBy === undefined ? [] : [{ pr: introducedBy, model: model.name, why }],
  };
}

async function status(config: Config, ports: Ports): Promise<RunResult> {
  const result: RunResult = { releases: [], skipped: [] };
  for (const name of Object.keys(config.models)) {
    const release = await ports.ledger.release(name);
    if (release) result.releases.push(release);
    else result.skipped.push({ model: name, why: 'no release recorded' });
  }
  return result;
}

function pickModel(config: Config, name: string | undefined, command: string): ModelConfig {
  const names = Object.keys(config.models);
  if (!name) {
    if (names.length === 1) return config.models[names[0] as string] as ModelConfig;
    throw new InputError(`command ${command}: set the model input to one of ${names.join(', ')}`);
  }
  const model = config.models[name];
  if (!model)
    throw new ConfigError([`model "${name}" is not in the config; known models: ${names.join(', ')}`]);
  return model;
}
