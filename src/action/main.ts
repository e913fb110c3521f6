import { mkdir, writeFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { configWarnings } from '../config/config-warnings.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ModelGateError } from '../core/errors.js';
import { redact, redactNotes } from '../core/redact.js';
import { describeGitHubError, isGitHubError } from '../github/client.js';
import type { GitHubLedger } from '../github/github-ledger.js';
import { handleCommand } from '../release/commands.js';
import { reportIt, stoppedOn } from '../release/defects.js';
import { alertsNow } from '../release/drift-alert.js';
import { modelsReleased } from '../release/dry-run.js';
import { withdrawalUnderWay } from '../release/finish.js';
import { missingSourceWarnings, noChangeNote } from '../release/no-change.js';
import type { Ports } from '../release/ports.js';
import { handlePullRequest, type RunResult } from '../release/pull-request.js';
import { runSchedule } from '../release/schedule.js';
import type { Release } from '../release/types.js';
import {
  type CommandRun,
  type Decision,
  outputDecision,
  releaseSentence,
  runDecision,
} from '../report/decision.js';
import { escapeMarkdown, renderMarkdown } from '../report/markdown.js';
import { failedAtPlannedSample, gateRows } from '../report/rows.js';
import { stepSummary } from '../report/step-summary.js';
import { debugStack } from './defect-stack.js';
import { reportFile, runUrlOf, writeCancelledReport, writeErrorReport } from './error-report.js';
import type { ActionEvent } from './event.js';
import { readEvent, readMergeGroup } from './event.js';
import {
  forkNotDeployed,
  forkNoticeWithoutComment,
  forkOnPullRequest,
  forkTokenCannotWrite,
  isRefusedWrite,
} from './fork-token.js';
import type { Command, Inputs } from './inputs.js';
import { commandOn, eventName, readInputs } from './inputs.js';
import { asLogText } from './log-text.js';
import { mergeGroupStep } from './merge-group-step.js';
import { branchPoint } from './no-change.js';
import { observationsFolder } from './observations-folder.js';
import { decisionLines, modelOutcomes } from './outcome.js';
import { planStep } from './plan-step.js';
import { type ActionPorts, actionPorts } from './ports.js';
import { CLEANUP_STATE, cleanupState, NOTES_STATE, notesState } from './post.js';
import { rollbackStands } from './rollback-stands.js';
import { maskSecrets, secretsToMask } from './secrets.js';
import { startWaiting } from './start-waiting.js';
import { cancelledCommand, stopOnCancel } from './stop-on-cancel.js';

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let setup: ActionPorts | undefined;
  // Every run that ends sets `decision` and `models`, so a workflow can branch on them: the
  // releases this run last reported stand for `models` when it stops on an error.
  // `reported`: the report file and the job summary are written (publish), the error's own are not.
  const outputs = { set: false, releases: [] as Release[], reported: false };
  // What an error's report renders the releases with, once read.
  let loaded: Config | undefined;
  // What the error handler needs to explain a fork run's refused write.
  let forkRun: { event: ActionEvent; allowForks: boolean } | undefined;
  // A cancelled job stops the platform commands under way before the step exits, saying what the
  // stop leaves: nothing until the command is known.
  let afterCancel = 'it had changed nothing yet';
  // The steps after it (`if: always()`) still read what it knew; on-call, the job summary.
  const offCancel = stopOnCancel(
    () => afterCancel,
    (message) => {
      if (!outputs.set) setDecision('cancelled', outputs.releases);
      if (!outputs.reported) writeCancelledReport(message, outputs.releases, env);
    },
  );
  // Before anything can stop the run, as every run that ends names it (an upload-artifact step given
  // an empty path fails); a plan judges nothing.
  if (core.getInput('command') !== 'plan') core.setOutput('observations-path', observationsFolder(env));
  try {
    const inputs = readInputs();
    // A merge queue's check: nothing to do there, and a failing one would hold every PR queued.
    const group = await readMergeGroup(env);
    if (group) {
      outputs.set = true;
      await mergeGroupStep(group, inputs.command, env);
      outputs.reported = true;
      return;
    }
    // A command run by hand on one model (an abort in an incident) is not stopped by another
    // model's broken config; PR, push and schedule runs still are.
    const dispatch = env.GITHUB_EVENT_NAME === 'workflow_dispatch';
    const scope = dispatch
      ? { only: inputs.model, nameModel: (m: string) => `in the \`model\` input (e.g. \`model: ${m}\`)` }
      : {};
    const { config, interpolated, ignored } = await loadConfig(inputs.config, env, scope);
    loaded = config;
    // The token too: command targets' children inherit it in their environment.
    maskSecrets([...secretsToMask(interpolated, env), inputs.githubToken]);
    for (const warning of ignored ?? []) core.warning(warning);
    const event = await readEvent(env);
    // Checked before anything is asked or changed: a command the event does not run is refused,
    // and so is a to-version given to a command other than rollback.
    const command = commandOn(inputs, event);
    afterCancel = cancelledCommand(command, event);
    forkRun = { event, allowForks: config.allowForks };
    setup = actionPorts(config, inputs, env, event);
    // A plan deploys nothing, so there is nothing for the post step to clean up.
    if (command === 'plan') {
      await planStep(config, inputs, event, setup.ports, env);
      outputs.set = true;
      return;
    }
    // Until a pull_request run ends on its own, the post step must withdraw the candidate it left
    // live. Other runs start no candidate: a failed rollback or a cut-short tick must not
    // withdraw a release a PR's job is analysing.
    const pullRequest = event.kind === 'pull_request';
    const tracked = reporting(setup.ports, (releases) => {
      outputs.releases = releases;
    });
    const touched: { files?: ReadonlySet<string> } = {};
    const ports = pullRequest ? savingCandidates(rememberingTouched(tracked, touched)) : tracked;
    if (pullRequest) setup.phases.begin(`pull_request ${event.pr.action} #${event.pr.number}`);
    // The lines on the models it leaves alone, for the post step's comment should the job be cancelled.
    const onNotes = pullRequest
      ? (notes: RunResult['skipped']) => core.saveState(NOTES_STATE, notesState(notes))
      : undefined;
    const ran = await runEvent(config, { ...inputs, command }, event, ports, onNotes);
    setup.phases.close();
    // A PR that releases nothing (most touch no model) gets no new comment, only a why.
    const quiet = pullRequest && releasesNothing(event, ran);
    // A model whose version file the PR lacks (a typo in source.file) is never gated: warned of as
    // the CLI's plan warns, beside the models that do release. Where nothing releases it is also
    // why, said in the report too, so the run does not look all green.
    const open = event.kind === 'pull_request' && event.pr.action !== 'closed';
    const noChange = quiet && open;
    const missing = open
      ? await missingSourceWarnings(
          config,
          setup.ports.reader,
          { base: branchPoint(setup.ports.reader, event.pr), head: event.pr.headSha },
          {
            only: inputs.model,
            workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
            configPath: inputs.config,
          },
        )
      : [];
    for (const warning of missing) core.warning(warning);
    const result = noChange
      ? {
          ...ran,
          skipped: [
            noChangeNote(config, inputs.model, touched.files),
            ...missing.map((why) => ({ model: '*', why, kind: 'note' as const })),
          ],
        }
      : ran;
    // A gate reading the whole service shows the service's values in the comment, not the candidate's;
    // an srm gate counting users on a per-request split rolls back a correct one.
    const released = pullRequest ? modelsReleased(result) : [];
    for (const warning of configWarnings(config, released)) core.warning(`${inputs.config}: ${warning}`);
    // A candidate whose withdrawal failed is left for the post step to try again.
    const left = pullRequest && result.releases.some((r) => r.withdrawPending);
    core.saveState(CLEANUP_STATE, left ? cleanupState(result.releases) : '');
    if (pullRequest) core.saveState(NOTES_STATE, left ? notesState(result.skipped) : '');
    // Decided: the outputs say so even when writing the comment or the summary fails below.
    const decision = runDecision(result);
    // `error` where no release failed on a verdict (a platform or metrics fault): the step fails either way.
    setDecision(outputDecision(result), result.releases, result.rollbacks);
    outputs.set = true;
    for (const line of decisionLines(result)) core.info(asLogText(line));
    await publish(config, result, decision, event, setup, env, quiet, outputs).catch((error: unknown) => {
      throw (
        rollbackStands(error, result, command, inputs.toVersion, setup?.ledger?.savedPrs() ?? []) ?? error
      );
    });
    // A schedule tick also retries waiters whose re-run was refused earlier.
    await startWaiting(
      setup.ledger,
      event.kind === 'schedule' ? (inputs.model ? [inputs.model] : Object.keys(config.models)) : [],
    );
    // A defect a schedule tick met fails the run, once the tick's result is published: its lines
    // say which models it stopped, and the other models' lines and drift notes are not lost.
    if (ran.defects?.[0] !== undefined) throw ran.defects[0];
  } catch (err) {
    // The error is the run's last word: not folded into the group of the phase it stopped in.
    setup?.phases.close();
    if (!outputs.set) setDecision('error', outputs.releases);
    const message = failureMessage(err, forkRun, outputs.releases);
    // The job summary and report-path say it too, with the releases the run last reported.
    if (!outputs.reported)
      await writeErrorReport(
        { message, config: loaded, releases: outputs.releases, runUrl: setup?.runUrl ?? runUrlOf(env) },
        env,
      );
    core.setFailed(message);
  } finally {
    offCancel();
    for (const problem of setup?.ledger?.problemLines ?? []) core.warning(problem);
  }
}

/** The step's error: what failed and what to do, one line (a defect's stack goes to the debug log). */
function failureMessage(
  err: unknown,
  forkRun: { event: ActionEvent; allowForks: boolean } | undefined,
  releases: Release[],
): string {
  // A fork PR allowed to deploy, on a read-only token: its first write (the canary claim or the
  // comment, both made before any candidate deploys) was refused.
  const deployed = releases.some((r) => r.phase >= 0);
  if (forkRun?.allowForks && forkOnPullRequest(forkRun.event) && isRefusedWrite(err) && !deployed)
    return forkTokenCannotWrite(err);
  if (err instanceof ModelGateError) return err.message;
  if (isGitHubError(err)) return `model-gate stopped: ${describeGitHubError(err)}`;
  // A bug: one line to report, as the engine words one (reportIt); its stack in the debug log.
  const defect = err instanceof Error ? err : new Error(String(err));
  debugStack(defect);
  return reportIt(stoppedOn(defect));
}

/**
 * `decision` and `models`. `error`: the run stopped before deciding (bad input or config, an
 * unknown model, a target or GitHub failure); `cancelled`: the job was, or ran out of time, before
 * it decided. The step fails with the reason.
 */
function setDecision(
  decision: Decision | 'error' | 'cancelled',
  releases: Release[],
  rollbacks?: RunResult['rollbacks'],
) {
  core.setOutput('decision', decision);
  core.setOutput('models', JSON.stringify(redactNotes(modelOutcomes(releases, rollbacks))));
}

/** The ports, telling `seen` the releases each time the run reports them. */
function reporting(ports: Ports, seen: (releases: Release[]) => void): Ports {
  return {
    ...ports,
    onProgress: async (releases, opts) => {
      seen(releases);
      await ports.onProgress?.(releases, opts);
    },
  };
}

/** The ports, keeping in `touched` the files the PR touches once the run has asked GitHub. */
function rememberingTouched(ports: Ports, touched: { files?: ReadonlySet<string> }): Ports {
  const ask = ports.touchedFiles;
  if (!ask) return ports;
  return {
    ...ports,
    touchedFiles: async (pr) => {
      touched.files = await ask(pr);
      return touched.files;
    },
  };
}

/**
 * A pull_request run with nothing to say of any model: no declared version changed (opened,
 * synchronize…), or no release is recorded for the PR (closed).
 */
const releasesNothing = (event: ActionEvent & { kind: 'pull_request' }, result: RunResult) =>
  result.releases.length === 0 && (event.pr.action === 'closed' || result.skipped.length === 0);

/**
 * The ports of a pull_request run, saving for the post step the candidates it drives each time
 * they change, so that it can withdraw them even when GitHub (the ledger) cannot be read.
 */
function savingCandidates(ports: Ports): Ports {
  core.saveState(CLEANUP_STATE, cleanupState([]));
  return {
    ...ports,
    onProgress: async (releases, opts) => {
      core.saveState(CLEANUP_STATE, cleanupState(releases));
      await ports.onProgress?.(releases, opts);
    },
  };
}

async function runEvent(
  config: Config,
  inputs: Inputs & { command: Exclude<Command, 'plan'> },
  event: ActionEvent,
  ports: Ports,
  onNotes?: (notes: RunResult['skipped']) => void,
): Promise<CommandRun & { defects?: Error[] }> {
  const { command } = inputs;
  if (event.kind === 'pull_request' && command === 'release') {
    // Its note only where it changes a model's version: one that changes none is quiet, as any PR.
    if (event.fromFork && !config.allowForks && event.pr.action !== 'closed')
      return forkNotDeployed(config, event.pr, ports, inputs.model);
    return handlePullRequest(config, event.pr, ports, { ...inputs, only: inputs.model, onNotes });
  }
  // A tick is one pass whatever `mode` says: mode defaults to watch, so honouring it would turn
  // every scheduled tick into a watch of up to max-wait (action.yml's mode says so).
  if (command === 'tick') return runSchedule(config, ports, { ...inputs, mode: 'tick', only: inputs.model });
  // Its report's heading names the command where nothing changed (a rollback to what serves).
  return {
    ...(await handleCommand(config, command, { ...inputs, trigger: triggerOf(event) }, ports)),
    command,
  };
}

/**
 * What started a command, as its reports and ledger entries name it ("rolled back by …"): on a
 * dispatch, who ran it too (event.ts let only a plain login through), so an incident's audit
 * trail names a person.
 */
const triggerOf = (event: ActionEvent): string =>
  event.kind === 'dispatch' && event.actor !== undefined
    ? `@${event.actor} via workflow_dispatch`
    : eventName(event.kind);

/**
 * The PR comments, the report file and the job summary, and `comment-url`. `quiet`: the event's
 * PR has nothing to say, so only a comment it already has is updated. A comment GitHub would not
 * take still fails the run, once the report file and the summary (local files, which GitHub
 * being down cannot take away) are written and say so.
 */
async function publish(
  config: Config,
  result: RunResult,
  decision: Decision,
  event: ActionEvent,
  setup: ActionPorts,
  env: NodeJS.ProcessEnv,
  quiet: boolean,
  written: { reported: boolean },
) {
  let summarised = result;
  let commentFailed: { error: unknown } | undefined;
  if (setup.publisher && setup.ledger) {
    const notes = new Map<number, RunResult['skipped']>();
    try {
      if (event.kind === 'pull_request') {
        const speaks = !quiet || (await setup.ledger.commentFor(event.pr.number).load()) !== undefined;
        if (speaks) notes.set(event.pr.number, result.skipped);
      }
      for (const n of result.notify ?? [])
        notes.set(n.pr, [...(notes.get(n.pr) ?? []), { model: n.model, why: n.why, kind: 'note' }]);
      await setup.publisher.publish({ final: true, notes, rollbacks: result.rollbacks });
      const url = commentUrl(event, result, setup.ledger);
      if (url) core.setOutput('comment-url', url);
    } catch (error) {
      // A fork's pull_request run has a read-only token: the summary and a notice say why instead.
      const forkSkipped = result.skipped.some((s) => s.kind === 'fork');
      if (forkSkipped && forkOnPullRequest(event) && isRefusedWrite(error)) {
        const why = forkNoticeWithoutComment(error);
        core.notice(why, { title: 'model-gate: fork PR not deployed' });
        summarised = { ...result, skipped: [{ model: '*', why, kind: 'fork' }] };
      } else commentFailed = { error };
    }
  }
  const rendered = renderMarkdown(config, summarised, { now: Date.now(), runUrl: setup.runUrl });
  // The runner masks the log, not the summary or the report file.
  const report = redact(commentFailed ? withCommentFailure(rendered, commentFailed.error) : rendered);
  await mkdir(env.RUNNER_TEMP ?? '.', { recursive: true });
  const reportPath = reportFile(env);
  await writeFile(reportPath, report);
  if (env.GITHUB_STEP_SUMMARY) {
    // GitHub drops a summary over its size limit whole: a smaller form then, pointing at the file.
    const finish = (markdown: string) =>
      redact(commentFailed ? withCommentFailure(markdown, commentFailed.error) : markdown);
    const from = { config, result: summarised, now: Date.now(), runUrl: setup.runUrl, reportPath, finish };
    await core.summary.addRaw(stepSummary(report, from)).write();
  }
  core.setOutput('report-path', reportPath);
  written.reported = true;
  // command status judged nothing and changed nothing: a release it finds failed earlier does not
  // fail it. Its candidate still live is a warning; the report says the same.
  if (result.serving !== undefined) {
    for (const r of result.releases.filter(stuck))
      core.warning(releaseSentence(r, true), { title: `${r.model} ${r.to} may still get live traffic` });
  } else if (decision === 'failed') {
    // An annotation per failed gate, with the evidence; the step's own error sums them up. An A/B's
    // gate without a winner at its planned sample failed too (its row says so), its verdict pending.
    for (const r of result.releases.filter((x) => x.status === 'failed')) {
      const rows = gateRows(r, config.models[r.model]);
      r.gates.forEach((g, i) => {
        const title = `${r.model} ${r.to}: gate ${g.name} failed`;
        if (g.verdict === 'fail') core.error(g.reason ?? `${g.name} failed`, { title });
        else if (failedAtPlannedSample(g, r)) core.error(rows[i]?.note || `${g.name} failed`, { title });
      });
    }
  }
  // The run fails naming GitHub, as the error's own handler words it: one failure, not two.
  if (commentFailed) throw commentFailed.error;
  if (result.serving !== undefined) return;
  const why = [
    ...(decision === 'failed'
      ? [
          ...result.releases.filter((r) => r.status === 'failed').map((r) => releaseSentence(r)),
          ...(result.drift ?? []).filter(alertsNow).map((d) => d.note),
        ]
      : []),
    // The report says the promotion is pending (a schedule tick tries again); the merge job fails.
    ...notPromoted(event, result).map((r) => releaseSentence(r)),
  ];
  if (why.length > 0) core.setFailed(`model-gate: ${why.join('; ')}`);
}

/** A merge job's releases of its PR it could not promote (the platform refused): merged, still ready. */
const notPromoted = (event: ActionEvent, result: RunResult): Release[] =>
  event.kind === 'pull_request' && event.pr.action === 'closed' && event.pr.merged
    ? result.releases.filter(
        (r) => r.pr === event.pr.number && r.status === 'ready' && r.mergedAt !== undefined,
      )
    : [];

/** The report with a line under its heading: the PR comment was not updated, and why. */
function withCommentFailure(report: string, error: unknown): string {
  const why = isGitHubError(error)
    ? describeGitHubError(error)
    : error instanceof Error
      ? error.message
      : String(error);
  const line = `⚠️ The PR comment could not be updated: ${escapeMarkdown(why.replace(/\.$/, ''))}. This summary is the run's report.`;
  const [heading, ...rest] = report.split('\n');
  return [heading, '', line, ...rest].join('\n');
}

/** A release ended, whose candidate the platform refused to withdraw: it may still get live traffic. */
const stuck = (r: Release) => r.withdrawPending === true && !withdrawalUnderWay(r);

/**
 * The comment this run wrote: the event's PR's; else the first of the PRs whose releases the
 * run saved (promote, abort, a tick, a candidate a rollback withdrew), then of those it notified
 * (the PR that introduced a version rolled back).
 */
function commentUrl(event: ActionEvent, result: RunResult, ledger: GitHubLedger): string | undefined {
  const prs =
    event.kind === 'pull_request'
      ? [event.pr.number]
      : [...ledger.savedPrs(), ...(result.notify ?? []).map((n) => n.pr)];
  return prs.map((pr) => ledger.commentFor(pr).url).find((url) => url !== undefined);
}
