import type { Config } from '../config/types.js';
import { modelNamed } from './commands.js';
import { watchDrift } from './drift-watch.js';
import type { Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import { candidateMayBeLive, type Release } from './types.js';
import { driveReleases, type WatchOptions } from './watch.js';

/**
 * `schedule` (command tick): advance every release still analysing, whichever PR it
 * belongs to, by one bounded pass (or a watch, if asked); then run the drift watches of the
 * stable models, recording drift and noting it on the PR that introduced the version.
 */
export async function handleSchedule(
  config: Config,
  ports: Ports,
  opts: WatchOptions & { only?: string },
): Promise<RunResult> {
  // An unknown `model` input is an error naming the known models, not an idle tick.
  if (opts.only !== undefined) modelNamed(config, opts.only);
  const analysing: Release[] = [];
  for (const name of opts.only ? [opts.only] : Object.keys(config.models)) {
    const holder = await ports.ledger.canaryHolder(name);
    // Also a release whose candidate's withdrawal failed: the tick tries it again.
    if (holder && candidateMayBeLive(holder)) analysing.push(holder);
  }
  const releases = analysing.length > 0 ? await driveReleases(config, analysing, ports, opts) : [];
  const result: RunResult = { releases, skipped: [], drift: [], notify: [] };
  for (const model of Object.values(config.models)) {
    if (opts.only && model.name !== opts.only) continue;
    if (releases.some((r) => r.model === model.name && r.status === 'analysing')) continue;
    const report = await watchDrift(model, ports);
    if (!report) continue;
    result.drift?.push(report);
    if (!report.drifted) continue;
    await ports.ledger.recordDrift(report);
    const introducedBy = (await ports.ledger.history(model.name)).findLast(
      (e) => e.version === report.version,
    )?.pr;
    if (introducedBy !== undefined)
      result.notify?.push({ pr: introducedBy, model: model.name, why: report.note });
  }
  if (releases.length === 0 && result.drift?.length === 0) {
    result.skipped.push({ model: '*', why: 'no release is analysing' });
  }
  return result;
}
