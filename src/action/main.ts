import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { ModelGateError } from '../core/errors.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import { handleCommand } from '../release/commands.js';
import type { Ports } from '../release/ports.js';
import { handlePullRequest, type RunResult } from '../release/pull-request.js';
import { releaseSentence, runDecision } from '../report/decision.js';
import { renderMarkdown } from '../report/markdown.js';
import { gitFileReader } from '../version/changed-models.js';
import { readEvent } from './event.js';
import { readInputs } from './inputs.js';
import { CLEANUP_STATE } from './post.js';

const SECRET_FIELD = /token|secret|password|key|auth|header/i;

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const inputs = readInputs();
    const { config, interpolated } = await loadConfig(inputs.config, env);
    for (const field of interpolated) if (SECRET_FIELD.test(field.path)) core.setSecret(field.value);
    const event = await readEvent(env);
    const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
    const ports: Ports = {
      ledger: fileLedger(join(workspace, inputs.ledger)),
      reader: gitFileReader(workspace),
      clock: systemClock,
      log: { info: core.info, warn: core.warning },
      targetFor,
      metricsFor,
    };
    // Until this run ends on its own, the post step must withdraw any candidate it left live.
    core.saveState(CLEANUP_STATE, JSON.stringify({ config: inputs.config, ledger: inputs.ledger }));
    let result: RunResult;
    if (event.kind === 'pull_request' && (inputs.command ?? 'release') === 'release') {
      result = await core.group(`pull_request ${event.pr.action} #${event.pr.number}`, () =>
        handlePullRequest(config, event.pr, ports, { ...inputs, only: inputs.model }),
      );
    } else {
      result = await handleCommand(config, inputs.command ?? 'status', inputs, ports);
    }
    core.saveState(CLEANUP_STATE, '');
    await publish(config, result, env);
  } catch (err) {
    if (err instanceof ModelGateError) core.setFailed(err.message);
    else core.setFailed(`model-gate stopped on an unexpected error: ${(err as Error).stack ?? err}`);
  }
}

async function publish(
  config: Parameters<typeof renderMarkdown>[0],
  result: RunResult,
  env: NodeJS.ProcessEnv,
) {
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const report = renderMarkdown(config, result, { now: Date.now(), runUrl });
  const dir = env.RUNNER_TEMP ?? '.';
  await mkdir(dir, { recursive: true });
  const reportPath = join(dir, 'model-gate-report.md');
  await writeFile(reportPath, report);
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(report).write();
  const decision = runDecision(result);
  core.setOutput('decision', decision);
  core.setOutput(
    'models',
    JSON.stringify(
      result.releases.map((r) => ({
        model: r.model,
        from: r.from,
        to: r.to,
        status: r.status,
        reason: r.reason,
      })),
    ),
  );
  core.setOutput('report-path', reportPath);
  if (decision === 'failed')
    core.setFailed(
      `model-gate: ${result.releases
        .filter((r) => r.status === 'failed')
        .map(releaseSentence)
        .join('; ')}`,
    );
}
