import { dirname, join, resolve } from 'node:path';
import { configWarnings } from '../config/config-warnings.js';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/types.js';
import { systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import { handleCommand } from '../release/commands.js';
import { modelsReleased } from '../release/dry-run.js';
import { PROMOTION_GRACE_MS, promotionPending } from '../release/merged-ready.js';
import { missingSourceWarnings, noChangeNote } from '../release/no-change.js';
import { byRelease, observationLog } from '../release/observation-log.js';
import type { Ports } from '../release/ports.js';
import { handlePullRequest, type RunResult } from '../release/pull-request.js';
import { runSchedule } from '../release/schedule.js';
import type { Release } from '../release/types.js';
import { type CommandRun, runDecision } from '../report/decision.js';
import { renderTerminal } from '../report/terminal.js';
import type { FileReader } from '../version/changed-models.js';
import { repositoryTop } from '../version/git.js';
import { localComparison, WORKING_TREE } from '../version/local-comparison.js';
import { configPathHint, loadLocalConfig, localConfigPath } from './local-config.js';
import { noObservationLogLines } from './no-observation-log.js';
import type { RunEvent, RunOptions } from './run-command.js';
import { readyLedger, shownLedger } from './run-ledger.js';
import {
  giveBackLeases,
  OUTPUT_CLOSED,
  type RunStop,
  readyLeft,
  signalExitCode,
  signalName,
  stopCommandOnSignal,
  stopOnSignal,
  withdrawStopped,
} from './run-stop.js';
import { warnedOnce } from './warned-once.js';

/** The pull_request action each PR event of `model-gate run` plays. */
const PR_ACTIONS = { release: 'opened', reopen: 'reopened', merge: 'closed', close: 'closed' } as const;
type PrEvent = keyof typeof PR_ACTIONS;
const isPrEvent = (event: RunEvent): event is PrEvent => Object.hasOwn(PR_ACTIONS, event);

/**
 * What a run has reported so far: its releases by model, for the words of a second stop signal;
 * its lines on the models it leaves alone (queued, already stable…), for the report of a stopped run;
 * once read, its files, where a second stop signal gives back the run's watch leases.
 */
interface Seen {
  releases: Map<string, Release>;
  notes: RunResult['skipped'];
  files?: LocalFiles;
}

/**
 * The work of `model-gate run` once its command line is valid: the event through the engine,
 * with the ledger in a file, and the report on stdout. Its own module, so that a usage error
 * or `--help` returns before any of this loads. A run that drives releases (a PR event, a tick)
 * stops at a safe point on Ctrl-C, SIGTERM, SIGHUP or its output closing (run-stop.ts); a command
 * that changes the platform (rollback, promote, abort) is one change: stopped at once, with the
 * platform command under way, it says what may have changed unrecorded (stopCommandOnSignal).
 */
export async function runEvent(event: RunEvent, o: RunOptions, cwd: string): Promise<number> {
  const seen: Seen = { releases: new Map(), notes: [] };
  const stop = isPrEvent(event) || event === 'tick' ? stopOnSignal(stopWords(event, o, seen)) : undefined;
  const changes = (event === 'rollback' || event === 'promote' || event === 'abort') && !o.dryRun;
  const offCommand = changes ? stopCommandOnSignal(() => commandStoppedWords(event, o)) : undefined;
  try {
    return await run(event, o, cwd, seen, stop);
  } finally {
    stop?.off();
    offCommand?.();
  }
}

async function run(event: RunEvent, o: RunOptions, cwd: string, seen: Seen, stop?: RunStop) {
  const files = await localFiles(event, o, cwd);
  seen.files = files;
  // A command run by hand on one model (an abort in an incident) is not stopped by another model's
  // broken config, as the action's workflow_dispatch is not.
  const byHand = event === 'rollback' || event === 'promote' || event === 'abort' || event === 'status';
  const scope = byHand ? { only: o.model, nameModel: (m: string) => `with \`--model ${m}\`` } : {};
  const pathHint = configPathHint(o.config);
  const { config } = await loadLocalConfig(files.config, { pathHint, ...scope });
  await readyLedger(files.ledger, o.ledger, event !== 'status' && !o.dryRun);
  // What the engine says may quote a target's output or a platform's answer: secrets go first.
  const once = warnedOnce();
  const log = {
    info: (m: string) => console.log(`  ${redact(m)}`),
    warn: (m: string) => {
      once.warned(m);
      console.log(`  ! ${redact(m)}`);
    },
  };
  const ports: Ports = {
    ledger: fileLedger(files.ledger),
    reader: files.reader,
    clock: stop?.clock ?? systemClock,
    log,
    targetFor: (model) => targetFor(model, log),
    metricsFor: (model) => metricsFor(model, log),
    onProgress: (releases) => {
      for (const r of releases) seen.releases.set(r.model, r);
    },
    // Every judged gate look, for `model-gate analyze`: beside the ledger, one file per release.
    observe: observationLog(join(dirname(files.ledger), 'observations'), byRelease, log),
  };
  const ledgerLine = `ledger: ${shownLedger(cwd, files.ledger, o.ledger)}`;
  /**
   * A PR event a stop signal ended, its report so far `shown`: the candidates this run left that may
   * still get live traffic are withdrawn (none in a dry run, which deployed none), the report shows
   * them as they are now, and the last line says what became of each of this run's releases: a
   * merge's, those it left ready too (its promotion pending, or not begun).
   */
  const stopped = async (event: PrEvent, signal: NodeJS.Signals, shown: RunResult): Promise<number> => {
    const scope = { pr: o.pr, headSha: files.headSha, only: o.model, closed: event === 'close' };
    const why = () => `stopped by ${signalName(signal)} mid-analysis`;
    // Its own clock: the run's waits no longer end.
    const withdrawn = o.dryRun
      ? []
      : await withdrawStopped(config, scope, why, { ...ports, clock: systemClock });
    const left = event === 'merge' && !o.dryRun ? await readyLeft(config, scope, ports.ledger) : [];
    stop?.off();
    const now = new Map([...left, ...withdrawn].map((r) => [r.model, r]));
    const releases = [
      ...shown.releases.map((r) => now.get(r.model) ?? r),
      ...[...now.values()].filter((r) => !shown.releases.some((s) => s.model === r.model)),
    ];
    // The lines the engine made before the stop (seen.notes) when its result, which holds them too, never came.
    const report = { ...shown, releases };
    if (releases.length > 0 || report.skipped.length > 0)
      console.log(redact(renderTerminal(config, once.unsaid(report), Date.now())));
    console.log(ledgerLine);
    const ours = releases.filter((r) => r.pr === o.pr);
    console.error(`model-gate run: ${redact(stoppedLine(event, o, signal, ours))}`);
    return signalExitCode(signal);
  };
  if (stop?.signal) {
    // Stopped while reading the repository and the config: nothing was run.
    console.error(`model-gate run: stopped by ${signalName(stop.signal)} before it ran ${event}`);
    return signalExitCode(stop.signal);
  }
  const work = runOn(event, o, config, ports, files, (notes) => {
    seen.notes = notes;
  });
  const outcome = stop ? await Promise.race([work, stop.parked.then((signal) => ({ signal }))]) : await work;
  if ('signal' in outcome) {
    const { signal } = outcome;
    if (isPrEvent(event)) return stopped(event, signal, { releases: [], skipped: seen.notes });
    console.error(
      `model-gate run: stopped by ${signalName(signal)} before the tick's pass ended: what it did not reach is left for the next model-gate run tick`,
    );
    return signalExitCode(signal);
  }
  const { defects } = outcome;
  const result = isPrEvent(event)
    ? await whyNothing(event, o, config, files, outcome.result)
    : outcome.result;
  // Asked to stop while a step that never waits ran (a pass in tick mode, a merge): its candidates
  // are withdrawn all the same, as the stop signal's line said.
  if (stop?.signal && isPrEvent(event)) return stopped(event, stop.signal, result);
  console.log(redact(renderTerminal(config, once.unsaid(result), Date.now())));
  console.log(ledgerLine);
  // README's next step is `model-gate analyze` on the log beside the ledger: a run that wrote none says why.
  const analysed = isPrEvent(event) && event !== 'close' && !o.dryRun;
  if (analysed) for (const line of noObservationLogLines(config, result.releases)) console.log(line);
  // The report may be the first write to a closed pipe (`| head -1` before a run that said nothing
  // else, e.g. one whose candidate failed at its first step): a stop as any, told only now.
  const signal = await stop?.settled();
  if (signal && isPrEvent(event)) return stopped(event, signal, result);
  // A defect a tick met is reported once its report is out: the other models' lines are not lost.
  if (defects[0] !== undefined) throw defects[0];
  // A tick asked to stop once its pass was done: nothing left to stop, but the exit code says it was asked.
  if (signal) return signalExitCode(signal);
  // status judged nothing: a release it finds failed earlier (its rollback pending) fails it not.
  return event !== 'status' && runDecision(result) === 'failed' ? 1 : 0;
}

/** The event through the engine: its result, and the defects a tick met (reported after it). */
async function runOn(
  event: RunEvent,
  o: RunOptions,
  config: Config,
  ports: Ports,
  files: LocalFiles,
  onNotes: (notes: RunResult['skipped']) => void,
): Promise<{ result: CommandRun; defects: Error[] }> {
  const opts = { mode: o.mode, maxWaitMs: o.maxWaitMs, dryRun: o.dryRun, only: o.model };
  if (isPrEvent(event)) {
    const pr = { number: o.pr, baseSha: files.baseSha, headSha: files.headSha };
    const action = PR_ACTIONS[event];
    // The file it loaded (--config, or the default at the repository's top), which the report
    // compares at the PR's base and head: absolute, as the run's working folder may be any below the top.
    const result = await handlePullRequest(config, { ...pr, action, merged: event === 'merge' }, ports, {
      ...opts,
      config: resolve(files.config),
      onNotes,
    });
    return { result, defects: [] };
  }
  if (event === 'tick') {
    // One pass, as the action's tick: runCommand refuses --mode watch with it.
    const { defects, ...result } = await runSchedule(config, ports, { ...opts, mode: 'tick' });
    return { result, defects };
  }
  const result = await handleCommand(
    config,
    event,
    {
      model: o.model,
      toVersion: o.toVersion,
      toVersionName: '--to-version',
      modelName: '--model',
      dryRun: opts.dryRun,
      trigger: 'model-gate run',
    },
    ports,
  );
  // Its report's heading names the command where nothing changed (a rollback to what serves).
  return { result: { ...result, command: event }, defects: [] };
}

/**
 * An opened (reopened) PR's result as the action reports it: a model whose version file is in
 * neither the base nor the head is warned of, as plan warns (nothing gates it, and a run that
 * releases nothing would look all right), a released model's gates as validate and the action
 * warn of them (a gate reading the whole service), and a run that releases nothing says why, not
 * only "Nothing to release". The warnings are said once, above the report.
 */
async function whyNothing(
  event: PrEvent,
  o: RunOptions,
  config: Config,
  files: LocalFiles,
  result: CommandRun,
): Promise<CommandRun> {
  if (event !== 'release' && event !== 'reopen') return result;
  const missing = await missingSourceWarnings(
    config,
    files.reader,
    { base: () => Promise.resolve(files.baseSha), head: files.headSha },
    { only: o.model, workspace: files.checkout, configPath: files.config },
  );
  for (const warning of missing) console.error(`warning: ${redact(warning)}`);
  for (const warning of configWarnings(config, modelsReleased(result)))
    console.error(`warning: ${files.config}: ${redact(warning)}`);
  const nothing = result.releases.length === 0 && result.skipped.length === 0;
  return nothing ? { ...result, skipped: [noChangeNote(config, o.model)] } : result;
}

/** Where a run reads its config and ledger, and, for a PR event, the versions it compares. */
interface LocalFiles {
  config: string;
  ledger: string;
  reader: FileReader;
  /** A PR event's base and head (the working tree: WORKING_TREE); empty for the others. */
  baseSha: string;
  headSha: string;
  /** The repository's top, where the head is the working tree: the files a PR event's head has. */
  checkout?: string;
}

/**
 * A PR event compares its base with its head (localComparison: a git repository, a base branch).
 * The others read no version file: they need a repository only for the default paths of the
 * config and the ledger, at its top.
 */
async function localFiles(event: RunEvent, o: RunOptions, cwd: string): Promise<LocalFiles> {
  const paths = (root: string | undefined) => ({
    config: o.config ?? localConfigPath(cwd, root ?? cwd),
    ledger: o.ledger ?? join(root ?? cwd, '.model-gate', 'ledger.json'),
  });
  if (isPrEvent(event)) {
    const where = await localComparison(cwd, { base: o.base, head: o.head });
    const head = where.head.sha ?? WORKING_TREE;
    const checkout = head === WORKING_TREE ? where.root : undefined;
    return { ...paths(where.root), reader: where.reader, baseSha: where.base.sha, headSha: head, checkout };
  }
  const root = o.config !== undefined && o.ledger !== undefined ? undefined : await repositoryTop(cwd);
  if (root === undefined && (o.config === undefined || o.ledger === undefined)) {
    const missing = [o.config === undefined && '--config PATH', o.ledger === undefined && '--ledger PATH'];
    throw new InputError(
      `${cwd} is not inside a git repository: run model-gate in a checkout of the repository, or pass ${missing.filter(Boolean).join(' and ')}`,
    );
  }
  return { ...paths(root), reader: noVersionFiles(event), baseSha: '', headSha: '' };
}

/** The reader of a run that compares no versions: reading one is a bug, not a missing file. */
const noVersionFiles = (event: RunEvent): FileReader => ({
  read: (ref, path) =>
    Promise.reject(new Error(`model-gate run ${event} read ${path} at ${ref}, which it never needs`)),
});

/** A PR event's `model-gate run` line again, on the same PR and head. */
const samePr = (event: PrEvent, o: RunOptions): string =>
  runLine(event, o, ['--pr', String(o.pr), ...(o.head ? ['--head', o.head] : [])]);

/** What a stopped merge says of a release it left ready: who promotes it. */
function pendingWords(r: Release, o: RunOptions): string {
  const merge = samePr('merge', o);
  if (!promotionPending(r)) return `${r.model} ${r.to} not promoted: ${merge} promotes it`;
  const tick = `the next ${runLine('tick', o)} once ${formatDuration(PROMOTION_GRACE_MS)} have passed`;
  return `${r.model} ${r.to} promotion pending (the platform may already serve ${r.to}): ${merge} finishes it, as does ${tick}`;
}

/**
 * The line of a command (rollback, promote, abort) a stop signal ended: its change may have reached
 * the platform with nothing on record; the same command again reads what serves and records it.
 */
function commandStoppedWords(event: RunEvent, o: RunOptions): string {
  const asked = [
    ...(o.model ? ['--model', o.model] : []),
    ...(o.toVersion ? ['--to-version', o.toVersion] : []),
  ];
  return `the ${event} may have reached the platform unrecorded: ${runLine('status', o)} shows what serves; the same command again (${runLine(event, o, asked)}) records it`;
}

/** `model-gate run EVENT` with the options of this run that the next command needs too. */
function runLine(event: string, o: RunOptions, extra: string[] = []): string {
  const given = (flag: string, value: string | undefined) => (value === undefined ? [] : [flag, value]);
  const words = [...extra, ...given('--config', o.config), ...given('--ledger', o.ledger)].map((w) =>
    /^[\w./:=@+-]+$/.test(w) ? w : JSON.stringify(w),
  );
  return ['model-gate run', event, ...words].join(' ');
}

/** The lines said on a first stop signal and on a second one. */
function stopWords(event: RunEvent, o: RunOptions, seen: Seen) {
  // Its output gone, the run cannot be sent that again: Ctrl-C (or another signal) stops it at once.
  const again = (signal: NodeJS.Signals) =>
    signal === OUTPUT_CLOSED
      ? 'Ctrl-C to stop at once'
      : `${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop at once`;
  if (!isPrEvent(event))
    return {
      stopping: (signal: NodeJS.Signals) =>
        `stopping on ${signalName(signal)}: the traffic change or metrics read under way finishes first (not the phase: at most the target's settle-timeout), and what the tick has not reached is left for the next tick; ${again(signal)}`,
      again: async (signal: NodeJS.Signals) =>
        `stopped on ${signalName(signal)} mid-pass: ${runLine('status', o)} shows what serves, and the next ${runLine('tick', o)} resumes what this one left`,
    };
  // A merge's promotion is not withdrawn: stopped, it is left pending for a run to finish.
  const then =
    event === 'merge'
      ? "this run's candidates still analysing are withdrawn, and a promotion not yet confirmed is left pending"
      : "this run's candidates are withdrawn";
  return {
    stopping: (signal: NodeJS.Signals) =>
      `stopping on ${signalName(signal)}: the traffic change or metrics read under way finishes first (not the phase: at most the target's settle-timeout), then ${then}; ${again(signal)}`,
    again: async (signal: NodeJS.Signals) => {
      const files = seen.files;
      const scope = files && { pr: o.pr, headSha: files.headSha, only: o.model };
      // Given back, the next tick takes on what this run watched; else ticks leave it to this run.
      const given = scope && !o.dryRun ? await giveBackLeases(fileLedger(files.ledger), scope) : new Map();
      const ours = [...seen.releases.values()].filter((r) => r.pr === o.pr);
      const held =
        given ??
        new Map(
          ours.flatMap((r) =>
            r.status === 'analysing' && r.watchedUntil ? [[r.model, r.watchedUntil]] : [],
          ),
        );
      const known = new Set([...(o.model ? [o.model] : ours.map((r) => r.model)), ...held.keys()]);
      // A merge's promotion under way (its merge on record first): an abort would undo it.
      const promoting = new Map(
        ours.flatMap((r) => (event === 'merge' && promotionPending(r) ? [[r.model, r]] : [])),
      );
      const left = (model: string) => {
        const pending = promoting.get(model);
        if (pending) return pendingWords(pending, o);
        const abort = runLine('abort', o, ['--model', model]);
        if (model === 'NAME')
          return `a candidate of this run may still get live traffic: ${abort} withdraws it`;
        const until = held.get(model);
        if (until === undefined)
          return `the candidate of ${model} may still get live traffic: ${abort} withdraws it`;
        const at = new Date(until).toISOString().slice(11, 16);
        return `the candidate of ${model} may still get live traffic, and schedule ticks leave it to this run until ${at} UTC: ${abort} withdraws it now`;
      };
      const what = (known.size > 0 ? [...known] : ['NAME']).map(left).join('; ');
      const when = promoting.size > 0 ? 'mid-merge' : "before this run's candidates were withdrawn";
      return `stopped on ${signalName(signal)} ${when}: ${what} (${runLine('status', o)} shows what serves)`;
    },
  };
}

/**
 * The last line of a run a stop signal ended: what it withdrew, and how to analyse again; a merge's,
 * the promotion it left pending and who finishes it.
 */
function stoppedLine(event: PrEvent, o: RunOptions, signal: NodeJS.Signals, releases: Release[]): string {
  const stopped = `stopped by ${signalName(signal)}`;
  if (releases.length === 0) return `${stopped}: this run left no candidate with live traffic`;
  const lines = releases.map((r) => {
    if (r.withdrawPending)
      return `${r.model} ${r.to} may still get live traffic (${r.reason}): ${runLine('abort', o, ['--model', r.model])} tries again`;
    if (event === 'merge' && r.status === 'ready') return pendingWords(r, o);
    return `${r.model} ${r.to} ${r.status === 'aborted' ? 'withdrawn' : r.status}`;
  });
  // Withdrawn before a verdict: a reopened PR (a merged one's job run again) analyses it again.
  const undecided = releases.some((r) => r.status === 'aborted' && !r.withdrawPending);
  const again = samePr(event === 'merge' ? 'merge' : 'reopen', o);
  return `${stopped}: ${lines.join('; ')}${undecided ? `; to analyse again: ${again}` : ''}`;
}
