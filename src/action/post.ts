import * as core from '@actions/core';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import type { Config, ModelConfig } from '../config/types.js';
import { ConfigError, TargetError } from '../core/errors.js';
import { redact, redactNotes } from '../core/redact.js';
import { describeGitHubError, isGitHubError, isNotFound } from '../github/client.js';
import type { GitHubLedger } from '../github/github-ledger.js';
import { STARTED_HOLDS_MS } from '../github/slot-queue.js';
import { TokenIdentityError } from '../github/token-identity.js';
import { sameRelease } from '../ledger/ledger.js';
import { tearDownStoppedClose } from '../release/closed-stop-tear-down.js';
import { confirmingTarget } from '../release/confirmed-change.js';
import type { ReleaseContext } from '../release/context.js';
import { defectOf, reportIt, stoppedOn } from '../release/defects.js';
import { ended, retryWithdrawal, withdrawIfLive } from '../release/finish.js';
import { liveCandidate } from '../release/live-candidate.js';
import { newRelease } from '../release/new-release.js';
import { takeOutOfService } from '../release/out-of-service.js';
import { idleIfLive, idlePending } from '../release/pending-idle.js';
import { contextFor, type Ports } from '../release/ports.js';
import { LINE_KINDS, type RunResult, SIBLING_LINE } from '../release/pull-request.js';
import { stoppedJobReason } from '../release/stopped-job-end.js';
import { candidateToActOn, type Ending, type Release } from '../release/types.js';
import { strategyOf } from '../strategies/strategy.js';
import { debugStack } from './defect-stack.js';
import { writePostStepSummary } from './error-report.js';
import { readEvent } from './event.js';
import { readInputs } from './inputs.js';
import { asLogText } from './log-text.js';
import { actionPorts } from './ports.js';
import {
  budgetRanOut,
  postStepBudgetMs,
  type StepBudget,
  toldOutOfTime,
  withinBudget,
} from './post-step-budget.js';
import { maskSecrets, secretsToMask } from './secrets.js';
import { startWaiting } from './start-waiting.js';

/**
 * Saved by the main step of a pull_request job while it may leave candidate traffic live: the
 * candidates it drives, so the post step can withdraw them even when GitHub (the ledger) is
 * down; cleared when the main step ends on its own.
 */
export const CLEANUP_STATE = 'cleanup';

// `idle`: ready, its change to idle not confirmed (pending-idle.ts): taken to idle, not withdrawn.
// `startedAt`: the release's, so a record the post step writes in place of a lost one (see post) is the same release.
const savedCandidates = z.array(
  z.object({
    model: z.string(),
    from: z.string(),
    to: z.string(),
    idle: z.literal(true).optional(),
    startedAt: z.number().optional(),
  }),
);
type SavedCandidate = z.infer<typeof savedCandidates>[number];

/**
 * What the main step saves for the post step: its releases whose candidate may have live traffic,
 * and its ready ones whose change to idle is not confirmed.
 */
export function cleanupState(releases: Release[]): string {
  const live = releases.filter((r) => candidateToActOn(r));
  return JSON.stringify(
    live.map((r) => ({
      model: r.model,
      from: r.from,
      to: r.to,
      ...(idlePending(r) ? { idle: true } : {}),
      startedAt: r.startedAt,
    })),
  );
}

/**
 * Saved beside CLEANUP_STATE: the main step's latest lines on the models it leaves alone (already
 * stable, queued…), handed out before it drives releases. A cancelled main step never writes its
 * last comment, so the post step's, which replaces it, writes them.
 */
export const NOTES_STATE = 'notes';

const savedNotes = z.array(
  z.object({
    model: z.string(),
    why: z.string(),
    kind: z.enum(LINE_KINDS),
    holder: z.int().positive().optional(),
  }),
);

/**
 * The lines the main step saves for the post step, its own only (a shared comment keeps its sibling
 * jobs'): redacted, as the runner masks only the log.
 */
export function notesState(lines: RunResult['skipped']): string {
  const own = lines.filter((l) => !(SIBLING_LINE in l));
  return JSON.stringify(own.map((l) => redactNotes({ ...l })));
}

/** The lines the main step saved; none when the state is missing or does not parse (an older version). */
function notesList(saved: string): RunResult['skipped'] {
  try {
    return savedNotes.parse(JSON.parse(saved)) as RunResult['skipped'];
  } catch {
    return [];
  }
}

/**
 * The post step of a pull_request job: when the main step was cancelled or crashed
 * mid-analysis, withdraw every candidate it left with live traffic, so the stable model
 * alone serves, and make the ledger and the PR comment say so. The end is recorded (and written
 * to the comment) before the traffic change, as every withdrawal's is (endThenWithdraw): a post
 * step that stops in between, or whose change the platform refuses, leaves a record the next
 * run acts on. When GitHub cannot be read or written, the candidates the main step saved are
 * withdrawn on the platform directly. A defect in model-gate met on the way fails the step as one
 * to report (reportIt, its stack in the debug log), the candidate taken out all the same where
 * that is safe.
 */
export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const saved = core.getState(CLEANUP_STATE);
  if (!saved) return;
  let config: Config;
  let ports: Ports;
  let setup: ReturnType<typeof actionPorts>;
  let event: Awaited<ReturnType<typeof readEvent>>;
  const inputs = readInputs();
  try {
    // A matrix job's post step withdraws its own model's candidate whatever another model's config says.
    const loaded = await loadConfig(inputs.config, env, { only: inputs.model });
    config = loaded.config;
    // A new process: the main step's list of secrets to redact from messages is gone.
    maskSecrets([...secretsToMask(loaded.interpolated, env), inputs.githubToken]);
    for (const warning of loaded.ignored ?? []) core.warning(warning);
    event = await readEvent(env);
    setup = actionPorts(config, inputs, env, event);
    ports = setup.ports;
  } catch (err) {
    return failed(env, `model-gate post step could not start: ${(err as Error).message}`);
  }
  // Saved by pull_request jobs only; an older bundle's state on another event is left alone.
  if (event.kind !== 'pull_request') return;
  // A dry run deployed and recorded nothing, so its stop leaves nothing to take out of service: a
  // release at its head is another run's (a real workflow beside it), not this job's to end.
  if (inputs.dryRun) return;
  const budgetMs = postStepBudgetMs(env);
  const budget: StepBudget = { ends: ports.clock.now() + budgetMs, ms: budgetMs, clock: ports.clock };
  // Why candidates may still get live traffic; defects met where the candidate was taken out all the same;
  // the models this config cannot act on (their candidate deployed on a target it does not name).
  const failures: string[] = [];
  const defects: string[] = [];
  const leftAlone = new Map<string, string[]>();
  // A close job's (closed without merging) candidates, once withdrawn, come off the platform as
  // that job would have taken them (closed-stop-tear-down.ts): said on the comment this step writes.
  const closing = event.pr.action === 'closed' && !event.pr.merged;
  const toTearDown: [ModelConfig, Release][] = [];
  const tearDown = (model: ModelConfig, release: Release) => void toTearDown.push([model, release]);
  try {
    const pr = event.pr.number;
    const giveBack = (model: string) => slotGivenBack(setup.ledger, model, event.pr);
    // A matrix job (one `model`) cleans up its own model only: the others' jobs may still be running.
    for (const model of Object.values(config.models)) {
      if (inputs.model !== undefined && model.name !== inputs.model) continue;
      const release = await ports.ledger.release(model.name);
      const candidate = savedList(saved).find((c) => c.model === model.name && !c.idle);
      // The comment holds no record of the release the saved state names, or only an earlier one
      // (the PR's last head's): the job stopped before writing it, or a sibling job's write that
      // read the comment just before dropped it.
      if (!release || (candidate?.startedAt !== undefined && release.startedAt < candidate.startedAt)) {
        // Claimed, then stopped before its first report saved a candidate (GitHub failing the
        // claim's look for rivals, or the claim of a later model): nothing of this job is live.
        if (!candidate) {
          await giveBack(model.name);
          continue;
        }
        const stopped = 'the job stopped while the PR comment held no record of its release';
        const capped = withinBudget(model, budget);
        const direct = await unrecordedWithdrawn(candidate, capped, ports);
        const late = direct.mayBeLive ? budgetRanOut(model, capped, budget) : undefined;
        if (direct.mayBeLive)
          failures.push(`${model.name}: ${stopped}; ${direct.done}${late ? `; ${late}` : ''}`);
        else {
          core.warning(`${model.name}: ${direct.done}: ${stopped}`);
          // Nothing live, the comment has nothing to tell of it; the head's status, left pending
          // ("deploying the candidate"), says the job ended, or a required check waits on it.
          if (direct.withdrawn)
            await recordWithdrawn(candidate, model, event.pr, `${stopped}; ${direct.done}`, ports);
          else await notLiveStatus(candidate, model, event.pr, setup.ledger, ports.clock.now());
          await giveBack(model.name);
        }
        continue;
      }
      // Nothing live by its record: a claim of this job it does not stand for (its end refused) is
      // given back; a ready release keeps its own (giveBackSlot checks the record). A close job
      // stopped after its withdrawal, before its tear-down, has its candidate taken off here.
      if (!candidateToActOn(release)) {
        if (closing && release.pr === pr && release.headSha === event.pr.headSha) tearDown(model, release);
        await giveBack(model.name);
        continue;
      }
      // Only this job's own release: a later run of the PR (a new head) may be analysing by now.
      if (release.pr !== pr || release.headSha !== event.pr.headSha) continue;
      const capped = withinBudget(model, budget);
      const ctx = contextFor(capped, ports);
      try {
        const done = await cleanUp(release, ctx, ports, () => budgetRanOut(model, capped, budget));
        if ('failure' in done) failures.push(`${model.name}: ${done.failure}`);
        else {
          core.warning(`${model.name}: ${done.warning}`);
          if (closing) tearDown(model, done.release);
        }
      } catch (err) {
        // Its target is not this config's (deployed-target.ts): nothing is done there, the problem says
        // how to withdraw it, and the other models are cleaned up all the same.
        if (err instanceof ConfigError) {
          leftAlone.set(model.name, err.problems);
          continue;
        }
        // A bug in model-gate, not GitHub's or the platform's answer: reported as one, the candidate
        // taken out of service all the same where that can be done safely.
        const defect = defectOf(err, []);
        if (!defect) throw err;
        debugStack(defect);
        // A context of its own: what is left of the budget now, not when the clean-up began.
        const after = await afterDefect(
          defect,
          release,
          contextFor(withinBudget(model, budget), ports),
          ports,
        );
        (after.mayBeLive ? failures : defects).push(`${model.name}: ${after.line}`);
      }
    }
    // Every candidate withdrawn first, then taken off the platform: a deletion may take minutes.
    const tornDown = await tornDownAll(toTearDown, config, budget, ports);
    // The main step's lines on its other models, on the comment this step rewrites anyway.
    const notes = [...notesList(core.getState(NOTES_STATE)), ...tornDown];
    const rewritten = notes.length > 0 && (setup.ledger?.dirty.has(pr) || tornDown.length > 0);
    await setup.publisher?.publish({ final: true, ...(rewritten ? { notes: new Map([[pr, notes]]) } : {}) });
    // The PRs waiting for a slot this step freed (a release ended, a hold given back) are re-run.
    await startWaiting(setup.ledger);
  } catch (err) {
    // Take the saved candidates out of service all the same.
    const direct = await withdrawSaved(saved, config, ports, budget, inputs.model);
    // GitHub would not say who the token is, so no comment of its is trusted: its own words say what to do.
    if (err instanceof TokenIdentityError)
      return failed(
        env,
        `model-gate post step: ${err.message}; the candidates the main step saved, on the platform directly: ${direct}; the PR comment and statuses are not updated`,
      );
    const defect = defectOf(err, []);
    if (!defect)
      // The ledger (GitHub) failed, its read or the record of an end before its change.
      return failed(
        env,
        `model-gate post step could not read or write the ledger (${describeGitHubError(err)}); ${direct}; the PR comment and statuses are not updated: ${ledgerThen(err)}`,
      );
    debugStack(defect);
    return failed(
      env,
      reportIt(
        `${stoppedOn(defect, 'in the post step')}; ${redact(direct)}; the PR comment and statuses may not say so`,
      ),
    );
  } finally {
    // GitHub writes beside the releases this step ended that were refused (a commit status, a
    // claim's end), as the main step warns of its own: each distinct one once.
    for (const problem of setup.ledger?.problemLines ?? []) core.warning(problem);
  }
  const problems = [
    ...(failures.length > 0
      ? [`model-gate post step could not withdraw the candidate: ${failures.join('; ')}`]
      : []),
    ...(defects.length > 0 ? [`model-gate post step: ${defects.join('; ')}`] : []),
    ...(leftAlone.size > 0
      ? [
          `model-gate post step left ${[...leftAlone.keys()].join(', ')} alone: ${[...leftAlone.values()].flat().join('; ')}`,
        ]
      : []),
  ];
  if (problems.length > 0) await failed(env, problems.join('; '));
}

/** The post step fails with `message`, which its job summary says too: on-call reads that first. */
async function failed(env: NodeJS.ProcessEnv, message: string): Promise<void> {
  await writePostStepSummary(message, env);
  core.setFailed(message);
}

/**
 * The hold on `model`'s canary slot that this job left, given back where the ledger finds nothing of
 * it recorded live (GitHubLedger.giveBackSlot): its caller knows no candidate of it may be live. A
 * GitHub refusal is a warning: the hold then ends as a dead job's does, STARTED_HOLDS_MS after it
 * was made, its waiters started by the next event after that (a schedule tick, another freed slot).
 * A runner killed outside the post step gives nothing back: the same 30 minutes.
 */
async function slotGivenBack(
  ledger: GitHubLedger | undefined,
  model: string,
  job: { number: number; headSha: string },
): Promise<void> {
  try {
    const given = await ledger?.giveBackSlot(model, { pr: job.number, headSha: job.headSha });
    if (given)
      core.info(
        asLogText(`${model}: gave back the canary slot (${given}): the job stopped, nothing of it live`),
      );
  } catch (err) {
    if (!isGitHubError(err)) throw err;
    core.warning(
      `${model}: could not give back the canary slot this job held (${describeGitHubError(err)}): the PRs waiting for it start at the next schedule tick or freed slot, at least ${STARTED_HOLDS_MS / 60_000} minutes after it was taken`,
    );
  }
}

/**
 * What the user does after the ledger failed with `err`. GitHub answering 404 did answer: what the
 * post step reads or writes (the PR, its comment, a deployment) is gone, or the token cannot see it.
 */
const ledgerThen = (err: unknown): string =>
  isNotFound(err)
    ? "GitHub has no such PR, comment or deployment, or the job's token cannot see it (it needs pull-requests: write, deployments: write and statuses: write); a re-run meets the same answer until that is fixed"
    : 're-run the job once GitHub answers';

/**
 * The stopped close job's withdrawn candidates (`queued`) taken off the platform, each warned of;
 * one whose turn comes after the step's budget ran out is said to be left, with what to do.
 */
async function tornDownAll(
  queued: [ModelConfig, Release][],
  config: Config,
  budget: StepBudget,
  ports: Ports,
): Promise<RunResult['skipped']> {
  const lines: RunResult['skipped'] = [];
  for (const [model, release] of queued) {
    const line =
      budget.clock.now() < budget.ends
        ? await tornDownToo(config, model, release, budget, ports)
        : {
            model: model.name,
            why: `${release.to} withdrawn, but its deployment is left on the platform: the post step ran out of time before removing it; re-run the close job to remove it`,
            kind: 'note' as const,
          };
    if (!line) continue;
    lines.push(line);
    core.warning(`${model.name}: ${line.why}`);
  }
  return lines;
}

/**
 * A stopped close job's candidate, withdrawn by this step (`release`), taken off the platform as
 * that job would (tearDownStoppedClose), within what is left of the step's budget. The caller
 * warns with its line: the tear-down's own warnings are logged as info, so none is said twice.
 */
async function tornDownToo(
  config: Config,
  model: ModelConfig,
  release: Release,
  budget: StepBudget,
  ports: Ports,
) {
  const capped = { ...config, models: { ...config.models, [model.name]: withinBudget(model, budget) } };
  const quiet = { ...ports, log: { ...ports.log, warn: ports.log.info } };
  return tearDownStoppedClose(capped, release, quiet);
}

/**
 * Clean up after the main step this job's `release`, which may still give its candidate live
 * traffic: a ready one is taken to idle, a pending withdrawal tried again, an analysis ended and
 * its candidate withdrawn. What was done (`warning`, and the release now), or why the candidate
 * may still be live (`failure`). A defect met is thrown.
 */
async function cleanUp(
  release: Release,
  ctx: ReleaseContext,
  ports: Ports,
  ranOut: () => string | undefined,
): Promise<{ warning: string; release: Release } | { failure: string }> {
  const exposed = await liveShare(release, ctx);
  const why = stoppedJobReason(release, exposed);
  const done = await takeOutOfService(release, why, ctx, ports);
  const { idleRefused, defect } = done;
  let ended = done.release;
  const late = ended.withdrawPending || idleRefused ? ranOut() : undefined;
  // A record of this step's change (not one left as it was): the record written after the change
  // quotes the platform; saved again, for the final comment, with why the step stopped there.
  if (late && ended !== release && ended.withdrawPending && !defect) {
    ended = toldOutOfTime(ended, late);
    await ports.ledger.saveRelease(ended);
  }
  // Ready: the main step stopped between recording it and taking it to idle; the change is finished here.
  if (idlePending(release)) {
    if (idleRefused)
      return { failure: `taking ${release.to} to idle failed: ${idleRefused}${late ? `; ${late}` : ''}` };
    return { warning: ended.reason ?? `${release.to} idle`, release: ended };
  }
  // A bug in model-gate, not the platform's answer: the step fails saying so, the withdrawal
  // still pending for the next run.
  if (defect) {
    debugStack(defect);
    const stopped = stoppedOn(defect, `withdrawing ${release.to}`);
    return {
      failure: reportIt(`${stopped}; ${release.to} may still get live traffic: the next run tries again`),
    };
  }
  if (ended.withdrawPending) return { failure: ended.reason ?? `${release.to} may still get live traffic` };
  return { warning: ended.reason ?? `${release.to} withdrawn`, release: ended };
}

/**
 * ` with v2 on 10% of live traffic`: what the candidate of a release the post step ends served as
 * the job stopped, read before the withdrawal, so the record does not read as if no caller ever
 * reached it (the phase history has no row for a change the job made just before it stopped).
 * Empty where it served none, or the platform could not be read (the withdrawal reads it again).
 */
async function liveShare(release: Release, ctx: ReleaseContext): Promise<string> {
  if (idlePending(release) || release.withdrawPending) return '';
  try {
    const live = liveCandidate(await ctx.target.read({ stable: release.from, candidate: release.to }));
    return live?.version === release.to ? ` with ${release.to} ${live.share}` : '';
  } catch (err) {
    if (err instanceof TargetError) return '';
    throw err;
  }
}

/**
 * After `defect` stopped the clean-up of `release`: its candidate taken out of service all the same
 * where that is safe. An end recorded before its change (endThenWithdraw) is tried again as any
 * pending withdrawal is, and what that did is saved; else the platform is asked directly, as when
 * GitHub is down. The line to fail the step with (reportIt), and whether the candidate may still
 * get live traffic.
 */
async function afterDefect(
  defect: Error,
  release: Release,
  ctx: ReleaseContext,
  ports: Ports,
): Promise<{ line: string; mayBeLive: boolean }> {
  const idle = idlePending(release);
  const what = idle ? `taking ${release.to} to idle` : `withdrawing ${release.to}`;
  const stopped = stoppedOn(defect, what);
  const told = (left: string, mayBeLive: boolean) => ({
    line: reportIt(`${stopped}; ${redact(left)}`),
    mayBeLive,
  });
  try {
    const now = await ports.ledger.release(release.model);
    if (now && sameRelease(now, release) && now.withdrawPending) {
      const retried = await retryWithdrawal(now, ctx, ports.ledger);
      await ports.ledger.saveRelease(retried.release);
      if (retried.release.withdrawPending)
        return told(`${release.to} may still get live traffic: the next run tries again`, true);
      const serves = retried.release.ending?.serves === release.to;
      return told(
        serves ? `${release.to} is the stable version on record` : `${release.to} withdrawn on a second try`,
        false,
      );
    }
    const saved = {
      model: release.model,
      from: release.from,
      to: release.to,
      ...(idle ? { idle: true as const } : {}),
    };
    const direct = await onPlatform(saved, ctx.config, ports);
    return told(direct.done, direct.mayBeLive);
  } catch (err) {
    return told(`${what} again failed too (${(err as Error).message}): the next run tries again`, true);
  }
}

/** The candidates the main step saved; none when the state does not parse (an older version of the action). */
function savedList(saved: string): SavedCandidate[] {
  try {
    return savedCandidates.parse(JSON.parse(saved));
  } catch {
    return [];
  }
}

/**
 * A saved candidate withdrawn on the platform directly, where it still has live traffic beside its
 * own stable version: what was done, and whether it may still get live traffic. Target errors propagate.
 */
async function withdrawOnPlatform(c: SavedCandidate, model: ModelConfig, ports: Ports): Promise<Direct> {
  // Read back patiently: a withdrawal the platform took is not reported failed for a read that failed once.
  const target = confirmingTarget(ports.targetFor(model), model, ports.clock);
  const result = await withdrawIfLive(target, c.from, c.to);
  if (result.done === 'withdrawn')
    return { done: `${c.to} withdrawn on the platform`, mayBeLive: false, withdrawn: true };
  if (result.done === 'not-live') return { done: `${c.to} has no live traffic`, mayBeLive: false };
  return { done: `left as it is (${result.serving} serves now, not ${c.from})`, mayBeLive: true };
}

/**
 * A saved candidate the ledger has no release of, withdrawn on the platform directly: the platform's
 * refusal told as any refused withdrawal is (notWithdrawn, finish.ts), not thrown, since GitHub
 * answered; a defect is thrown.
 */
async function unrecordedWithdrawn(c: SavedCandidate, model: ModelConfig, ports: Ports): Promise<Direct> {
  try {
    return await withdrawOnPlatform(c, model, ports);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return { done: `withdrawing ${c.to} failed: ${err.message}`, mayBeLive: true };
  }
}

/**
 * A saved candidate the comment held no record of, withdrawn on the platform by the post step:
 * its release recorded aborted with `why`, as a stopped release the comment held is, so the
 * comment tells the PR what the job did.
 */
async function recordWithdrawn(
  c: SavedCandidate,
  model: ModelConfig,
  job: { number: number; headSha: string },
  why: string,
  ports: Ports,
): Promise<void> {
  await ports.ledger.saveRelease(abortedRecord(c, model, job, why, ports.clock.now()));
}

/** A saved candidate's release as the job began it (from the post step's state), ended aborted with `why`. */
function abortedRecord(
  c: SavedCandidate,
  model: ModelConfig,
  job: { number: number; headSha: string },
  why: string,
  now: number,
  ending?: Ending,
): Release {
  const begun = newRelease(model, {
    from: c.from,
    to: c.to,
    pr: job.number,
    headSha: job.headSha,
    now: c.startedAt ?? now,
  });
  return ended(begun, 'aborted', why, now, ending);
}

/**
 * The commit status of a saved candidate the post step found with no live traffic, whose release
 * the comment never recorded: error, saying so and to re-run the job (nothing on record stops a
 * re-run). Not a record of an aborted release: that would refuse the re-run of the same head. A
 * GitHub refusal is a warning, as the ledger's own status writes are (problemLines, below).
 */
async function notLiveStatus(
  c: SavedCandidate,
  model: ModelConfig,
  job: { number: number; headSha: string },
  ledger: GitHubLedger | undefined,
  now: number,
): Promise<void> {
  if (!ledger) return;
  const why = `${c.to} got no live traffic: the job stopped before its release was recorded; re-run the job`;
  // recordOnly: nothing was withdrawn, so the status words the reason alone (no "withdrawn, v1 serves").
  await ledger.setStatusOnly(abortedRecord(c, model, job, why, now, { recordOnly: true }));
}

/** What a change on the platform directly did, and whether the candidate may still get live traffic. */
interface Direct {
  done: string;
  mayBeLive: boolean;
  /** The candidate had live traffic, which the change took away. */
  withdrawn?: true;
}

/** Withdraw on the platform each candidate the main step saved, where it still has live traffic. */
async function withdrawSaved(
  saved: string,
  config: Config,
  ports: Ports,
  budget: StepBudget,
  only?: string,
): Promise<string> {
  const candidates = savedList(saved);
  if (candidates.length === 0 && saved !== '[]')
    return 'the main step saved no candidates to withdraw (an older version of the action)';
  const done: string[] = [];
  for (const c of candidates) {
    const model = config.models[c.model];
    if (!model || (only !== undefined && c.model !== only)) continue;
    done.push(`${c.model}: ${(await onPlatform(c, withinBudget(model, budget), ports)).done}`);
  }
  return done.length > 0 ? done.join('; ') : 'no candidate was saved as live';
}

/**
 * A saved candidate taken out of service on the platform directly (withdrawn, or taken to idle),
 * where it still gets live traffic beside its own stable version: what was done, and whether it
 * may still get live traffic. Errors are told, not thrown.
 */
async function onPlatform(c: SavedCandidate, model: ModelConfig, ports: Ports): Promise<Direct> {
  try {
    if (!c.idle) return await withdrawOnPlatform(c, model, ports);
    const target = confirmingTarget(ports.targetFor(model), model, ports.clock);
    const idled = await idleIfLive(target, strategyOf(model.strategy), c.from, c.to);
    if (idled.done === 'idled') return { done: `${c.to} taken to idle on the platform`, mayBeLive: false };
    if (idled.done === 'idle') return { done: `${c.to} is idle`, mayBeLive: false };
    return { done: `left as it is (another version than ${c.from} serves now)`, mayBeLive: true };
  } catch (err) {
    const what = c.idle ? `taking ${c.to} to idle` : `withdrawing ${c.to}`;
    return { done: `${what} failed too: ${(err as Error).message}`, mayBeLive: true };
  }
}
