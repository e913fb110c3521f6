import type { Config } from '../config/types.js';
import { defectOf, reportIt, stoppedOn } from './defects.js';
import { candidateOf } from './dry-run.js';
import { promotionDue } from './merged-ready.js';
import { notDriven, stopsOneModel } from './not-driven.js';
import { finishIdle, idleFinished, idleNotTaken, idlePending } from './pending-idle.js';
import { contextFor, type Ports } from './ports.js';
import type { SkippedLine } from './pull-request.js';
import type { Release } from './types.js';

/** Whether a schedule tick acts on a ready release it finds holding the slot (`now`: the tick's time). */
export const settlesReady = (r: Release, now: number): boolean => idlePending(r) || promotionDue(r, now);

/**
 * What a schedule tick does with the ready releases it found (settlesReady): finishes a change to
 * idle a run recorded but did not confirm (pending-idle.ts), and returns in `again` those whose
 * merged PR's promotion is due once more (merged-ready.ts promotionDue), the others in `releases`.
 * A dry run says what it would do. A defect met in one is reported; its candidate is left as it is.
 * So is one GitHub fails for, or deployed on another target than this config's: a line says why, the
 * others are settled, and the error goes to `defects` for the run to fail on at the end.
 */
export async function settleReady(
  config: Config,
  ready: Release[],
  ports: Ports,
  opts: { dryRun?: boolean },
  defects: Error[],
): Promise<{ releases: Release[]; again: Release[]; skipped: SkippedLine[] }> {
  const out = { releases: [] as Release[], again: [] as Release[], skipped: [] as SkippedLine[] };
  const line = (model: string, why: string, kind: 'note' | 'dry-run' = 'note') =>
    out.skipped.push({ model, why, kind });
  for (const found of ready) {
    const model = config.models[found.model];
    if (!model) continue;
    // Judged on the record as found: finishing its idle change stamps it anew.
    const due = promotionDue(found, ports.clock.now());
    if (opts.dryRun) {
      if (idlePending(found))
        line(model.name, `would take ${candidateOf(found)} to idle: ${found.reason}`, 'dry-run');
      if (due)
        line(
          model.name,
          `would try again to promote ${candidateOf(found)}, merged: ${found.reason}`,
          'dry-run',
        );
      continue;
    }
    let release = found;
    try {
      const idled = await finishIdle(found, contextFor(model, ports), ports.ledger);
      release = idled.release;
      if (idled.theirs) {
        out.releases.push(release);
        continue;
      }
      if (idled.refused) {
        const why = idleNotTaken(found.to, idled.refused, 'the next tick');
        ports.log.warn(`${model.name}: ${why}`);
        line(model.name, why);
      } else if (release !== found) ports.log.info(`${model.name}: ${idleFinished(found.to)}`);
    } catch (err) {
      const defect = defectOf(err, defects);
      if (!defect) {
        if (!stopsOneModel(err)) throw err;
        const { line: why, error } = notDriven(model.name, err, ports.log);
        out.skipped.push(why);
        defects.push(error);
        continue;
      }
      const why = reportIt(
        `${stoppedOn(defect, `taking ${found.to} to idle`)}; ${found.to} is left as it is`,
      );
      ports.log.warn(`${model.name}: ${why}`);
      line(model.name, why);
      continue;
    }
    (due ? out.again : out.releases).push(release);
  }
  return out;
}
