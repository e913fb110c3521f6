import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import { handleCommand } from '../release/commands.js';
import type { Ports } from '../release/ports.js';
import { handlePullRequest, type RunResult } from '../release/pull-request.js';
import { handleSchedule } from '../release/schedule.js';
import { runDecision } from '../report/decision.js';
import { renderTerminal } from '../report/terminal.js';
import { localComparison, WORKING_TREE } from '../version/local-comparison.js';
import { localConfigPath } from './local-config.js';

const EVENTS = ['release', 'merge', 'close', 'tick', 'rollback', 'promote', 'abort', 'status'] as const;
type RunEvent = (typeof EVENTS)[number];

const USAGE = `usage: model-gate run <${EVENTS.join('|')}> [options]
  the engine on one event, outside Actions, with a local ledger file instead of GitHub:
    release   a pull request from --head into --base is opened (analyse the changed models)
    merge     that pull request is merged (promote what passed)
    close     it is closed unmerged (withdraw the candidates)
    tick      a schedule tick (advance analyses, drift watches)
    rollback | promote | abort | status   the workflow_dispatch commands
  --config PATH       default .github/model-gate.yml at the repository's top
  --ledger PATH       default .model-gate/ledger.json at the repository's top
  --base REF --head REF   as for model-gate plan (head: the working tree)
  --pr N              the pull request's number in the ledger (default 1)
  --model NAME        limit to one model (commands: the model acted on)
  --to-version V      rollback: the version to return to
  --mode watch|tick   watch (default): until decided or --max-wait; tick: one pass
  --max-wait DURATION default 30m
  --dry-run           plan and report, deploy nothing
exit code: 0, or 1 when a release failed or the input is bad, 2 on a usage error`;

/** `model-gate run`: the action's events on this machine, recorded in a ledger file. */
export async function runCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`model-gate run: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const event = args.positionals[0] as RunEvent | undefined;
  if (args.positionals.length !== 1 || !event || !EVENTS.includes(event)) {
    console.error(`model-gate run: expected one event of ${EVENTS.join(', ')}\n${USAGE}`);
    return 2;
  }
  const o = args.values;
  if (o.mode !== undefined && o.mode !== 'watch' && o.mode !== 'tick') {
    console.error(`model-gate run: --mode must be watch or tick, got "${o.mode}"\n${USAGE}`);
    return 2;
  }
  const where = await localComparison(cwd, { base: o.base, head: o.head });
  const { config } = await loadConfig(localConfigPath(cwd, where.root, o.config), process.env);
  const ledgerPath = o.ledger ?? join(where.root, '.model-gate', 'ledger.json');
  const ports: Ports = {
    ledger: fileLedger(ledgerPath),
    reader: where.reader,
    clock: systemClock,
    log: { info: (m) => console.log(`  ${m}`), warn: (m) => console.log(`  ! ${m}`) },
    targetFor,
    metricsFor,
  };
  const opts = {
    mode: o.mode === 'tick' ? ('tick' as const) : ('watch' as const),
    maxWaitMs: duration(o['max-wait']),
    dryRun: o['dry-run'] ?? false,
    only: o.model,
  };
  const pr = { number: prNumber(o.pr), baseSha: where.base.sha, headSha: where.head.sha ?? WORKING_TREE };
  let result: RunResult;
  switch (event) {
    case 'release':
    case 'merge':
    case 'close':
      result = await handlePullRequest(
        config,
        { ...pr, action: event === 'release' ? 'opened' : 'closed', merged: event === 'merge' },
        ports,
        opts,
      );
      break;
    case 'tick':
      result = await handleSchedule(config, ports, { ...opts, mode: 'tick' });
      break;
    default:
      result = await handleCommand(
        config,
        event,
        { model: o.model, toVersion: o['to-version'], dryRun: opts.dryRun },
        ports,
      );
  }
  console.log(renderTerminal(config, result, Date.now()));
  console.log(`ledger: ${relative(cwd, ledgerPath)}`);
  return runDecision(result) === 'failed' ? 1 : 0;
}

function duration(text: string | undefined): number {
  const ms = parseDuration(text ?? '30m');
  if (!ms) throw new InputError(`--max-wait: "${text}" is not a duration like 30m or 5h`);
  return ms;
}

function prNumber(text: string | undefined): number {
  const n = Number(text ?? '1');
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InputError(`--pr: expected a pull request number, got "${text}"`);
  return n;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      ledger: { type: 'string' },
      base: { type: 'string' },
      head: { type: 'string' },
      pr: { type: 'string' },
      model: { type: 'string' },
      'to-version': { type: 'string' },
      mode: { type: 'string' },
      'max-wait': { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
