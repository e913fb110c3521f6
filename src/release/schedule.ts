import type { Config } from '../config/types.js';
import { LedgerStateError } from '../ledger/ledger.js';
import { modelNamed } from './commands.js';
import { watchDrift } from './drift-watch.js';
import { wouldDrive } from './dry-run.js';
import type { Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import { retireBlue } from './retire-blue.js';
import { candidateMayBeLive, type Release } from './types.js';
import { driveReleases, type WatchOptions } from './watch.js';
import { leaseNote } from './watch-lease.js';
import { endIfWithdrawn } from './withdrawn-meanwhile.js';

/**
 * `schedule` (command tick): advance every release still analysing, whichever PR it
 * belongs to, by one bounded pass (the action and the CLI always ask one); retire the blue of a blue-green
 * promotion older than its `rollback-window`; then run the drift watches of the stable
 * models, recording drift and noting it on the PR that introduced the version.
 */
export async function handleSchedule(
  config: Config,
  ports: Ports,
  opts: WatchOptions & { only?: string; dryRun?: boolean },
): Promise<RunResult> {
  // An unknown `model` input is an error naming the known models, not an idle tick.
  if (opts.only !== undefined) modelNamed(config, opts.only);
  const analysing: Release[] = [];
  const skipped: RunResult['skipped'] = [];
  // Models whose canary slot a release holds (analysing, ready, or its withdrawal pending).
  const held = new Set<string>();
  // Models whose release a running job watches (its lease): this tick leaves them to that job.
  const watched = new Set<string>();
  for (const name of opts.only ? [opts.only] : Object.keys(config.models)) {
    let holder: Release | undefined;
    try {
      holder = await ports.ledger.canaryHolder(name);
    } catch (err) {
      if (!(err instanceof LedgerStateError)) throw err;
      // One edited comment must not stop the other models' ticks, their withdrawals included.
      held.add(name);
      ports.log.warn(`${name}: ${err.message}`);
      skipped.push({ model: name, why: err.message, kind: 'note' });
      continue;
    }
    if (holder) held.add(name);
    if (!holder || !candidateMayBeLive(holder)) continue;
    // Two drivers would fight (each under its own config: the PR's, the default branch's) and take
    // each other's traffic changes for withdrawals. A dispatch rollback or abort does not ask. The
    // lease holds even when the platform shows the candidate withdrawn: the job may be mid-change
    // on a platform slow to confirm it (ending it here would free the canary slot under it). A
    // cancelled job whose post step withdrew it but could not record it (GitHub down) leaves its
    // lease behind; the lease is short (watch-lease.ts), and the first tick after it records that.
    const leased = leaseNote(holder, ports.clock.now());
    if (leased) {
      watched.add(name);
      ports.log.info(`${name}: ${leased}`);
      skipped.push({ model: name, why: leased, kind: 'note' });
      continue;
    }
    // Also a release whose candidate's withdrawal failed: the tick tries it again. A dry run
    // records nothing, so it does not end a release that lost its traffic either.
    analysing.push(opts.dryRun ? holder : await endIfWithdrawn(config, holder, ports));
  }
  // A dry run changes no traffic and records nothing: it says what the tick would do.
  if (opts.dryRun)
    skipped.push(...analysing.map((r) => ({ model: r.model, why: wouldDrive(r), kind: 'dry-run' as const })));
  const drive = analysing.length > 0 && !opts.dryRun;
  const releases = drive ? await driveReleases(config, analysing, ports, opts) : [];
  const result: RunResult = { releases, skipped, drift: [], notify: [] };
  for (const model of Object.values(config.models)) {
    if (opts.only && model.name !== opts.only) continue;
    // A release holding the slot owns the model's traffic: retiring blue must not touch it.
    const retired = held.has(model.name) ? undefined : await retireBlue(model, ports, opts);
    // A dry run's line is what it would do: it retires nothing.
    if (retired)
      result.skipped.push({ model: model.name, why: retired, kind: opts.dryRun ? 'dry-run' : 'note' });
    const passed = opts.dryRun ? analysing : releases;
    if (watched.has(model.name) || passed.some((r) => r.model === model.name && r.status === 'analysing'))
      continue;
    const report = await watchDrift(model, ports);
    if (!report) continue;
    result.drift?.push(report);
    if (!report.drifted || opts.dryRun) continue;
    await ports.ledger.recordDrift(report);
    const introducedBy = (await ports.ledger.history(model.name)).findLast(
      (e) => e.version === report.version,
    )?.pr;
    if (introducedBy !== undefined)
      result.notify?.push({ pr: introducedBy, model: model.name, why: report.note });
  }
  if (analysing.length === 0 && watched.size === 0 && result.drift?.length === 0) {
    result.skipped.push({ model: '*', why: 'no release is analysing', kind: 'note' });
  }
  return result;
}
