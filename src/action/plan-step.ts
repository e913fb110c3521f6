import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { Config } from '../config/types.js';
import { InputError } from '../core/errors.js';
import { counted } from '../core/text.js';
import { pickModel } from '../release/commands.js';
import { missingSourceWarnings } from '../release/no-change.js';
import { emptyPlan, type Plan, planAll, planChanges, planPullRequest } from '../release/plan.js';
import { plannedLines, plannedSentence } from '../release/plan-text.js';
import type { Ports } from '../release/ports.js';
import { escapeMarkdown } from '../report/markdown.js';
import type { FileReader } from '../version/changed-models.js';
import type { ActionEvent } from './event.js';
import type { Inputs } from './inputs.js';
import { asLogText } from './log-text.js';
import { branchPoint } from './no-change.js';

/** Dispatch commands that change one model's traffic. */
const ONE_MODEL = new Set(['rollback', 'promote', 'abort']);

/** GitHub runs at most this many jobs of one matrix, and refuses the whole fan-out beyond it. */
export const MATRIX_MAX = 256;

/** A push's `before` (a new branch) or `after` (a deleted one) that is no commit. */
const NO_COMMIT = /^0+$/;
const short = (sha: string) => sha.slice(0, 7);

/**
 * `command: plan`: the models this event's run would act on, as a matrix for a fan-out job
 * (`matrix`, `has-models`), with `decision` `planned` (or `skipped` when there are none),
 * `models`, `report-path` and the job summary. Deploys nothing and writes no PR comment:
 * the fanned-out jobs do that. A dry run writes no commit status either.
 */
export async function planStep(
  config: Config,
  inputs: Pick<Inputs, 'model' | 'dryRun' | 'config'>,
  event: ActionEvent,
  ports: Ports,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const { plan, scope } = await planFor(config, inputs, event, ports);
  core.info(`model-gate plan for ${scope}: ${plan.models.length} model(s)`);
  for (const model of plan.models) for (const line of plannedLines(model)) core.info(asLogText(line));

  const n = plan.models.length;
  // A model whose version file is missing (a typo in source.file) is never gated, and gets no job
  // of the matrix to say so: said here as the CLI says it, as an annotation and in the report,
  // beside the models planned or as why none is, so the plan does not look all green.
  const refs = comparedRefs(event, ports.reader);
  const missing = refs
    ? await missingSourceWarnings(config, ports.reader, refs, {
        only: inputs.model,
        workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
        configPath: inputs.config,
      })
    : [];
  for (const warning of missing) core.warning(warning);
  const report = [
    `## model-gate plan: ${n === 0 ? 'nothing to release' : `${counted(n, 'model')}, one job each`}`,
    '',
    n === 0 ? `No model to release for ${scope}.` : `For ${scope}:`,
    '',
    ...plan.models.map((m) => `- ${plannedSentence(m)}`),
    ...missing.map((w) => `- ${escapeMarkdown(w)}`),
    '',
  ].join('\n');
  const dir = env.RUNNER_TEMP ?? '.';
  await mkdir(dir, { recursive: true });
  const reportPath = join(dir, 'model-gate-report.md');
  await writeFile(reportPath, report);
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(report).write();

  // Past GitHub's limit the workflow fails on its matrix, naming no model and running no job: no
  // status, no withdrawal on a close, no tick. Said here, where the user can act on it.
  if (n > MATRIX_MAX)
    throw new InputError(
      `command: plan found ${n} models to act on for ${scope}, but GitHub runs at most ${MATRIX_MAX} jobs of one matrix: ` +
        (event.kind === 'pull_request'
          ? 'split the pull request, or run model-gate without command: plan and a matrix (one job then acts on every model)'
          : 'run model-gate once without command: plan and a matrix (no model input: one job acts on every model)'),
    );
  core.setOutput('matrix', JSON.stringify(plan.matrix));
  core.setOutput('has-models', String(plan.hasModels));
  // A PR's live candidate of a model the config no longer names: no job of the matrix could act on
  // it, so the plan job fails saying what to do, as the single job does (its `decision` and `models`
  // are the error's). The matrix is set first, for a workflow whose jobs run after a failed plan.
  if (plan.undeclared) throw plan.undeclared;
  core.setOutput('decision', plan.hasModels ? 'planned' : 'skipped');
  core.setOutput(
    'models',
    JSON.stringify(plan.models.map((m) => ({ ...m, status: 'planned', reason: plannedSentence(m) }))),
  );
  core.setOutput('report-path', reportPath);
}

/** The commits a plan of `event` compares, base asked for only when needed; none for a close or a dispatch. */
function comparedRefs(event: ActionEvent, reader: FileReader) {
  if (event.kind === 'pull_request')
    return event.pr.action === 'closed'
      ? undefined
      : { base: branchPoint(reader, event.pr), head: event.pr.headSha };
  if (event.kind !== 'push' || NO_COMMIT.test(event.before) || NO_COMMIT.test(event.after)) return undefined;
  const { before, after } = event;
  return { base: async () => before, head: after };
}

async function planFor(
  config: Config,
  { model: only, dryRun }: Pick<Inputs, 'model' | 'dryRun'>,
  event: ActionEvent,
  ports: Ports,
): Promise<{ plan: Plan; scope: string }> {
  switch (event.kind) {
    case 'pull_request': {
      const { pr } = event;
      // With the models whose candidate of this PR is still live: their jobs withdraw or settle it.
      const plan = await planPullRequest(config, ports, pr, only, { dryRun });
      return { plan, scope: `PR #${pr.number} (${short(pr.baseSha)}..${short(pr.headSha)})` };
    }
    case 'push': {
      const span = `${short(event.before)}..${short(event.after)}`;
      // A push that creates or deletes a branch has nothing to compare with: its PR will.
      if (NO_COMMIT.test(event.before) || NO_COMMIT.test(event.after))
        return { plan: emptyPlan(), scope: `the push ${span}, which creates or deletes a branch` };
      const plan = await planChanges(config, ports.reader, event.before, event.after, { only });
      return { plan, scope: `the push ${span}` };
    }
    default:
      // A rollback, promote or abort is one model's: left empty, every model's job would get it.
      if (event.kind === 'dispatch' && ONE_MODEL.has(event.command ?? ''))
        pickModel(config, only, event.command ?? '');
      // Dispatch and schedule commands (tick, status, …) act on any model: one job per model.
      return { plan: planAll(config, only), scope: `every configured model (${event.kind})` };
  }
}
