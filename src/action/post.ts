import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import { withdraw } from '../release/finish.js';

/** Saved by the main step while it may leave candidate traffic live; cleared when it ends on its own. */
export const CLEANUP_STATE = 'cleanup';

/**
 * The post step: when the main step was cancelled or crashed mid-analysis, withdraw
 * every candidate it left with live traffic, so the stable model alone serves.
 */
export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const saved = core.getState(CLEANUP_STATE);
  if (!saved) return;
  try {
    const { config: configPath, ledger: ledgerPath } = JSON.parse(saved) as {
      config: string;
      ledger: string;
    };
    const { config } = await loadConfig(configPath, env);
    const ledger = fileLedger(join(env.GITHUB_WORKSPACE ?? process.cwd(), ledgerPath));
    for (const model of Object.values(config.models)) {
      const release = await ledger.release(model.name);
      if (release?.status !== 'analysing') continue;
      const ctx = { config: model, target: targetFor(model), metrics: metricsFor(model), clock: systemClock };
      const ended = await withdraw(
        release,
        ctx,
        'aborted',
        `the job stopped mid-analysis; ${release.to} withdrawn by the post step`,
      );
      await ledger.saveRelease(ended);
      core.warning(`${model.name}: ${ended.reason}`);
    }
  } catch (err) {
    core.setFailed(`model-gate post step could not withdraw the candidate: ${(err as Error).message}`);
  }
}
