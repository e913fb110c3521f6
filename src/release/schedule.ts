import type { Config } from '../config/types.js';
import type { Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import type { Release } from './types.js';
import { driveReleases, type WatchOptions } from './watch.js';

/**
 * `schedule` (command tick): advance every release still analysing, whichever PR it
 * belongs to, by one bounded pass (or a watch, if asked).
 */
export async function handleSchedule(
  config: Config,
  ports: Ports,
  opts: WatchOptions & { only?: string },
): Promise<RunResult> {
  const analysing: Release[] = [];
  for (const name of opts.only ? [opts.only] : Object.keys(config.models)) {
    const holder = await ports.ledger.canaryHolder(name);
    if (holder?.status === 'analysing') analysing.push(holder);
  }
  if (analysing.length === 0)
    return { releases: [], skipped: [{ model: '*', why: 'no release is analysing' }] };
  return { releases: await driveReleases(config, analysing, ports, opts), skipped: [] };
}
