import type { Config } from '../config/types.js';
import { type ChangedModel, unchangedVersion } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { withdraw } from './finish.js';
import { contextFor, type Ports } from './ports.js';
import type { PullRequestEvent, RunResult } from './pull-request.js';
import { inFlight } from './types.js';

/**
 * A live release (analysing or ready) of this PR for a model its head no longer changes (the
 * version put back, the version file deleted) is withdrawn as superseded, as a new head's
 * candidate replaces an old one: else the old candidate keeps the canary slot and the merge
 * promotes a version the merged head does not declare. The new head's `model-gate/<model>` status
 * passes, saying why. A dry run says it would.
 */
export async function withdrawNoLongerChanged(
  config: Config,
  event: PullRequestEvent,
  changed: ChangedModel[],
  ports: Ports,
  opts: { dryRun: boolean; only?: string },
): Promise<RunResult> {
  const result: RunResult = { releases: [], skipped: [] };
  for (const name of opts.only === undefined ? Object.keys(config.models) : [opts.only]) {
    const model = config.models[name];
    if (!model || changed.some((c) => c.model === name)) continue;
    const release = await ports.ledger.release(name);
    if (release?.pr !== event.number || !inFlight(release)) continue;
    const unchanged = await unchangedVersion(ports.reader, event.baseSha, event.headSha, model.source);
    // The files say it does change (a list of touched files older than the head): not this run's call.
    if (!unchanged) continue;
    const at = event.headSha === WORKING_TREE ? 'the working tree' : `head ${headName(event.headSha)}`;
    const why =
      'absent' in unchanged
        ? `the PR no longer declares ${name}'s version: ${at} has no ${model.source.file}`
        : `the PR no longer changes ${name}'s version: ${at} declares ${unchanged.same}, as the base does`;
    if (opts.dryRun) {
      result.skipped.push({ model: name, why: `would withdraw ${release.to}: ${why}`, kind: 'dry-run' });
      continue;
    }
    const withdrawn = await withdraw(
      release,
      contextFor(model, ports),
      'superseded',
      `${why}; ${release.to} withdrawn`,
    );
    await ports.ledger.saveRelease(withdrawn);
    ports.log.info(`${name}: ${withdrawn.reason}`);
    // The old head's status does not count for this one: a required `model-gate/<model>` waits on it.
    const what = 'absent' in unchanged ? `no longer declares ${name}'s version` : `no longer changes ${name}`;
    const done = withdrawn.withdrawPending
      ? `withdrawing candidate ${release.to} failed, the next run retries`
      : `candidate ${release.to} withdrawn`;
    if (event.headSha !== WORKING_TREE)
      await ports.passNoLongerChanged?.(name, event.headSha, `${what}: ${done}`);
    result.releases.push(withdrawn);
  }
  return result;
}
