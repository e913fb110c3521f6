import { join, relative } from 'node:path';
import { systemClock } from '../core/clock.js';
import { redact } from '../core/redact.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import { handleCommand } from '../release/commands.js';
import type { Ports } from '../release/ports.js';
import { handlePullRequest, type RunResult } from '../release/pull-request.js';
import { runSchedule } from '../release/schedule.js';
import { runDecision } from '../report/decision.js';
import { renderTerminal } from '../report/terminal.js';
import { localComparison, WORKING_TREE } from '../version/local-comparison.js';
import { CLI_PATH_HINT, loadLocalConfig, localConfigPath } from './local-config.js';
import type { RunEvent, RunOptions } from './run-command.js';

/**
 * The work of `model-gate run` once its command line is valid: the event through the engine,
 * with the ledger in a file, and the report on stdout. Its own module, so that a usage error
 * or `--help` returns before any of this loads.
 */
export async function runEvent(event: RunEvent, o: RunOptions, cwd: string): Promise<number> {
  const where = await localComparison(cwd, { base: o.base, head: o.head });
  const { config } = await loadLocalConfig(localConfigPath(cwd, where.root, o.config), {
    pathHint: CLI_PATH_HINT,
  });
  const ledgerPath = o.ledger ?? join(where.root, '.model-gate', 'ledger.json');
  const ports: Ports = {
    ledger: fileLedger(ledgerPath),
    reader: where.reader,
    clock: systemClock,
    // What the engine says may quote a target's output or a platform's answer: secrets go first.
    log: { info: (m) => console.log(`  ${redact(m)}`), warn: (m) => console.log(`  ! ${redact(m)}`) },
    targetFor,
    metricsFor,
  };
  const opts = { mode: o.mode, maxWaitMs: o.maxWaitMs, dryRun: o.dryRun, only: o.model };
  const pr = { number: o.pr, baseSha: where.base.sha, headSha: where.head.sha ?? WORKING_TREE };
  let result: RunResult;
  let defects: Error[] = [];
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
      // One pass, as the action's tick: runCommand refuses --mode watch with it.
      ({ defects, ...result } = await runSchedule(config, ports, { ...opts, mode: 'tick' }));
      break;
    default:
      result = await handleCommand(
        config,
        event,
        {
          model: o.model,
          toVersion: o.toVersion,
          toVersionName: '--to-version',
          dryRun: opts.dryRun,
          trigger: 'model-gate run',
        },
        ports,
      );
  }
  console.log(redact(renderTerminal(config, result, Date.now())));
  console.log(`ledger: ${relative(cwd, ledgerPath)}`);
  // A defect a tick met is reported once its report is out: the other models' lines are not lost.
  if (defects[0] !== undefined) throw defects[0];
  // status judged nothing: a release it finds failed earlier (its rollback pending) fails it not.
  return event !== 'status' && runDecision(result) === 'failed' ? 1 : 0;
}
