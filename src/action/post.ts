import * as core from '@actions/core';
import { loadConfig } from '../config/load.js';
import { withdraw } from '../release/finish.js';
import { contextFor } from '../release/ports.js';
import { readEvent } from './event.js';
import { readInputs } from './inputs.js';
import { actionPorts } from './ports.js';
import { startWaiting } from './start-waiting.js';

/** Saved by the main step while it may leave candidate traffic live; cleared when it ends on its own. */
export const CLEANUP_STATE = 'cleanup';

/**
 * The post step of a pull_request job: when the main step was cancelled or crashed
 * mid-analysis, withdraw every candidate it left with live traffic, so the stable model
 * alone serves, and make the ledger and the PR comment say so.
 */
export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!core.getState(CLEANUP_STATE)) return;
  try {
    const inputs = readInputs();
    const { config } = await loadConfig(inputs.config, env);
    const event = await readEvent(env);
    const { ports, publisher, ledger } = actionPorts(config, inputs, env, event);
    // Saved by pull_request jobs only; an older bundle's state on another event is left alone.
    if (event.kind !== 'pull_request') return;
    const pr = event.pr.number;
    // A matrix job (one `model`) cleans up its own model only: the others' jobs may still be running.
    for (const model of Object.values(config.models)) {
      if (inputs.model !== undefined && model.name !== inputs.model) continue;
      const release = await ports.ledger.release(model.name);
      if (release?.status !== 'analysing') continue;
      // Only this job's own release: a later run of the PR (a new head) may be analysing by now.
      if (release.pr !== pr || release.headSha !== event.pr.headSha) continue;
      const why = `the job stopped mid-analysis; ${release.to} withdrawn by the post step`;
      const ended = await withdraw(release, contextFor(model, ports), 'aborted', why);
      await ports.ledger.saveRelease(ended);
      core.warning(`${model.name}: ${ended.reason}`);
    }
    await publisher?.publish({ final: true });
    await startWaiting(ledger);
  } catch (err) {
    core.setFailed(`model-gate post step could not withdraw the candidate: ${(err as Error).message}`);
  }
}
