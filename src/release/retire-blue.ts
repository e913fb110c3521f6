import { formatDuration, formatElapsed } from '../config/duration.js';
import type { ModelConfig } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import { type LedgerEntry, sameEntry } from '../ledger/ledger.js';
import { strategyOf } from '../strategies/strategy.js';
import { TargetBusyError } from '../targets/errors.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import { type RemovesIdleVersions, removesIdleVersions } from '../targets/retire-idle.js';
import type { Target } from '../targets/target.js';
import { confirmingTarget } from './confirmed-change.js';
import { contextFor, type Ports } from './ports.js';
import { rollbackToBlue } from './rollback-to-blue.js';

/**
 * When blue-green's blue, kept warm at 0% by a promotion at `promotedAt`, may be retired: the end of
 * `model`'s rollback-window (the first schedule tick after it retires blue). Undefined for another
 * strategy, which keeps no blue.
 */
export const blueKeptUntil = (model: ModelConfig, promotedAt: number): number | undefined =>
  model.strategy.type === 'blue-green' ? promotedAt + model.strategy.rollbackWindowMs : undefined;

/**
 * Blue-green's `rollback-window`: a promotion leaves blue deployed without traffic, so that a
 * rollback is one quick call; once the last promotion is older than the window, a schedule tick
 * sets the target to green alone, and where a version at 0% stays deployed (and billed) however
 * long (SageMaker, Azure ML, Vertex AI: retire-idle.ts) takes blue's variant, deployment or
 * deployed model off the platform. There, the blue of an earlier promotion (a later one came inside
 * its window, or before a tick retired it) goes too once its own window is over (earlierBlues), but
 * only until the newest blue is retired (retiresEarlierBlues).
 * Inside the window the tick logs whether blue is still kept (a
 * later release's candidate may have taken its place). Returns a line for the run's summary when
 * there is something to say (blue retired, or left because what serves is not what the promotion
 * left, or because a rollback or promotion was recorded while the tick looked), else undefined.
 * The caller skips models whose canary slot a release holds.
 */
export async function retireBlue(
  model: ModelConfig,
  ports: Ports,
  opts: { dryRun?: boolean } = {},
): Promise<string | undefined> {
  if (model.strategy.type !== 'blue-green') return undefined;
  const windowMs = model.strategy.rollbackWindowMs;
  // The ledger's last word on what serves: a rollback or nothing means no blue is kept.
  const history = await ports.ledger.history(model.name);
  const last = history.at(-1);
  if (last?.kind !== 'promotion') return undefined;
  const { target } = contextFor(model, ports);
  const say = (line: string, warn = true) => {
    (warn ? ports.log.warn : ports.log.info)(`${model.name}: ${line}`);
    return line;
  };
  // The newest blue looked at first: whether it is still deployed decides whether earlier blues go.
  const look = await lookAt(target, last.version, last.previous).catch((err: unknown) => {
    if (!(err instanceof TargetError)) throw err;
    return err;
  });
  const now = ports.clock.now();
  // Earlier blues first: the newest blue's line then says truly what stays deployed beside green.
  const blues = retiresEarlierBlues(model, last, look, now) ? earlierBlues(model, history, now) : [];
  const earlier =
    blues.length > 0 && removesIdleVersions(target)
      ? await retireEarlierBlues(model, ports, { target, last, blues, windowMs }, say, opts)
      : { left: [], failed: [] };
  const newest = await retireNewestBlue(
    model,
    ports,
    { target, last, look, beside: earlier.left, held: earlier.failed, windowMs },
    say,
    opts,
  );
  const lines = [earlier.line, newest].filter((line) => line !== undefined);
  return lines.length > 0 ? lines.join('; ') : undefined;
}

/** What retiring a blue works on: the target, the newest promotion, and the window in ms. */
interface Retiring {
  target: Target;
  last: LedgerEntry;
  windowMs: number;
}

type Say = (line: string, warn?: boolean) => string;

/**
 * Whether this pass retires earlier blues (earlierBlues): only until the newest blue's retirement
 * is done, while its window runs or it is still deployed for this pass to retire (`look`: retireBlue's
 * first look at it). Once it is gone, a version found at 0% is the user's doing (deployed again for a
 * rollback to it, or for callers pinned to it): left alone, and not asked about. Nothing new is
 * recorded: the newest blue, retired last (held while an earlier one fails), marks the work undone.
 */
const retiresEarlierBlues = (model: ModelConfig, last: LedgerEntry, look: Look | TargetError, now: number) =>
  (blueKeptUntil(model, last.at) as number) > now ||
  (!(look instanceof TargetError) && look.idle === last.previous);

/**
 * The newest promotion's blue, as retireBlue says, from its first `look` (lookAt, or the error
 * reading the platform); `beside`: earlier blues still deployed beside green (retireEarlierBlues),
 * which the line names instead of saying green alone is deployed; `held`: earlier blues whose
 * retirement failed, which keep it deployed so that the next tick tries them again.
 */
async function retireNewestBlue(
  model: ModelConfig,
  ports: Ports,
  retiring: Retiring & { look: Look | TargetError; beside: string[]; held: string[] },
  say: Say,
  opts: { dryRun?: boolean },
): Promise<string | undefined> {
  const { target, last, look, beside, held, windowMs } = retiring;
  const { previous: blue, version: green } = last;
  const window = `rollback-window ${formatDuration(windowMs)}`;
  const left = (blueKeptUntil(model, last.at) as number) - ports.clock.now();
  // Its traffic changes (green alone, or a rollback put back) read back patiently: one the platform
  // took is not reported failed for a read that failed once.
  const patient = confirmingTarget(target, model, ports.clock);
  if (look instanceof TargetError) {
    if (left > 0) {
      say(`could not check that blue ${blue} is still kept for a rollback (${window}): ${look.message}`);
      return undefined;
    }
    return say(`blue ${blue} not retired yet: ${look.message}; the next schedule tick tries again`);
  }
  const { serving, idle, as } = look;
  const rollbackWords = rollbackToBlue(blue, removesIdleVersions(target));
  const changed = (seen: TrafficState) => {
    const other = idleVersion(seen, green);
    const what =
      other === null
        ? describeTraffic(seen)
        : `${describeTraffic(seen)} with ${other} deployed without traffic`;
    return `${target.description} serves ${what}, not ${green} with ${blue} kept as the promotion left it; someone changed it, so model-gate leaves it as it is`;
  };
  if (left > 0) {
    // Said as the platform reports it: a later release's candidate takes blue's place (a failed one
    // leaves green alone), and some platforms (KServe) do not report a version without traffic.
    if (idle === blue)
      say(
        `blue ${blue}${as ? ` (${as})` : ''} kept for a rollback for another ${formatElapsed(left)} (${window})`,
        false,
      );
    else if (idle === undefined)
      say(
        `blue ${blue} is not deployed beside ${green} as far as ${target.description} reports (${green} alone), with ${formatElapsed(left)} of its ${window} left: ${rollbackWords}`,
        false,
      );
    else say(`blue ${blue} not kept for a rollback: ${changed(serving)}`);
    return undefined;
  }
  // Green alone: retired by an earlier tick (or a platform that does not report a version without traffic).
  if (idle === undefined) return undefined;
  if (idle !== blue) return say(`blue ${blue} not retired: ${changed(serving)}`);
  if (held.length > 0)
    return say(
      `blue ${blue} not retired yet: it goes after ${named(held)} (model-gate retires earlier blues only while the newest one is deployed)`,
    );
  const removal = as ? `; the ${as} would be removed from ${target.description}` : '';
  if (opts.dryRun)
    return say(
      `would retire blue ${blue} (${window} over): ${standing(green, beside, 'deployed')}${removal}`,
      false,
    );
  // A release may have claimed the slot since the tick began: its candidate is not ours to touch.
  if (await ports.ledger.canaryHolder(model.name)) return undefined;
  // A rollback or promotion since the first look has the word: it is what serves, not green alone.
  const newer = await newerEntry(model, ports, last);
  if (newer) return say(`blue ${blue} not retired: ${entryText(newer)} was recorded meanwhile`, false);
  let after: TrafficState;
  /** The platform's error for a removal that went through all the same (gone when looked at again). */
  let reported: string | undefined;
  try {
    // Its traffic change lands before its record: a platform no longer as read is left as it is.
    const now = await lookAt(target, green, blue);
    if (now.idle !== blue) return say(`blue ${blue} not retired: ${changed(now.serving)}`);
    if (removesIdleVersions(target)) {
      // Green alone serves already; blue's deployment is what goes (it fails if blue stays).
      await target.removeIdle(blue, green);
      after = await target.read({ stable: green, others: [blue] });
    } else after = await reconcile(patient, withdrawTraffic(green));
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    // A removal reported failed may have been done all the same (an operation that timed out on
    // its way back): a later tick would find blue gone and say nothing, so look now. Not one still
    // under way (TargetBusyError: not settled), which a look may already show gone while it is not.
    const gone = err instanceof TargetBusyError ? undefined : await goneAfter(target, green, blue);
    if (!gone) return say(`retiring blue ${blue} failed: ${err.message}; the next schedule tick tries again`);
    after = gone;
    reported = err.message;
  }
  // One recorded between the look just before and this change: put back what it serves.
  const late = await newerEntry(model, ports, last);
  if (late) return putBack(model, patient, late, { blue, wrote: withdrawTraffic(green) }, say);
  // The read-back treats a version without traffic as absent; blue must be gone, not just idle.
  if (idleVersion(after, green) === blue) {
    return say(
      `retiring blue ${blue} failed: ${target.description} still reports it deployed without traffic after being asked for ${green} alone; the next schedule tick tries again`,
    );
  }
  const removed = as ? `the ${as} is removed from ${target.description}, ` : '';
  const despite = reported
    ? `; the removal was reported failed, but ${blue} is gone all the same: ${reported}`
    : '';
  return say(
    `blue ${blue} retired (${window} over): ${removed}${standing(green, beside, 'is deployed')}; ${rollbackWords}${despite}`,
    false,
  );
}

/** Green as it stands once blue is gone: alone, or with the earlier blues `beside` still deployed. */
const standing = (green: string, beside: string[], deployed: 'deployed' | 'is deployed') =>
  beside.length === 0
    ? `${green} alone ${deployed}`
    : `${green} ${deployed} with ${named(beside)} still beside it`;

const named = (blues: string[]) => `${blues.length === 1 ? 'blue' : 'blues'} ${blues.join(', ')}`;

/**
 * The blues of the promotions before the newest since the last rollback (the newest came inside
 * their window, or before a tick retired them), each kept for its own window (the last promotion
 * it was blue of), whose window is over: never green, nor the newest promotion's blue.
 */
function earlierBlues(model: ModelConfig, history: LedgerEntry[], now: number): string[] {
  const last = history.at(-1);
  if (last?.kind !== 'promotion') return [];
  const since = history.slice(history.findLastIndex((e) => e.kind === 'rollback') + 1);
  const keptUntil = new Map<string, number>();
  // Oldest first: a later promotion from the same version keeps it longer.
  for (const e of since)
    if (e.kind === 'promotion') keptUntil.set(e.previous, blueKeptUntil(model, e.at) ?? 0);
  return [...keptUntil]
    .filter(([version, until]) => version !== last.version && version !== last.previous && until <= now)
    .map(([version]) => version);
}

/**
 * Takes the earlier blues (earlierBlues) still deployed off the platform while green alone serves,
 * as the newest blue's retirement does; never one a release in the canary slot or its queue uses.
 * Returns the run's line, if any, the earlier blues still deployed after it (kept for a PR that
 * waits with it, a removal that failed or that a dry run leaves), for the newest blue's line, and
 * those whose retirement failed (a removal, or reading the platform), which hold the newest blue.
 */
async function retireEarlierBlues(
  model: ModelConfig,
  ports: Ports,
  retiring: Retiring & { target: Target & RemovesIdleVersions; blues: string[] },
  say: Say,
  opts: { dryRun?: boolean },
): Promise<{ line?: string; left: string[]; failed: string[] }> {
  const { target, last, blues, windowMs } = retiring;
  const green = last.version;
  const window = `rollback-window ${formatDuration(windowMs)}`;
  const deployed: { version: string; as: string }[] = [];
  const left: string[] = [];
  try {
    // A version beside green alone, or nothing to remove: what serves otherwise is someone's change.
    if (!sameTraffic(await target.read({ stable: green, others: blues }), withdrawTraffic(green)))
      return { left: blues, failed: [] };
    const waiting = (await ports.ledger.waiters?.(model.name)) ?? [];
    for (const version of blues) {
      const as = await target.deployedAs(version);
      if (!as) continue;
      // A PR queued for the canary slot with it: its job, re-run once the slot frees, releases it.
      const prs = [...new Set(waiting.filter((w) => w.to === version).map((w) => `#${w.pr}`))];
      if (prs.length > 0) {
        ports.log.info(
          `${model.name}: blue ${version} (${as}) stays on ${target.description}: PR ${prs.join(', ')} waits for the canary slot with it`,
        );
        left.push(version);
      } else deployed.push({ version, as });
    }
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return {
      line: say(`${named(blues)} not retired yet: ${err.message}; the next schedule tick tries again`),
      left: blues,
      failed: blues,
    };
  }
  if (deployed.length === 0) return { left, failed: [] };
  if (opts.dryRun) {
    const would = deployed.map(
      ({ version, as }) =>
        `would retire blue ${version} (${window} over): the ${as} would be removed from ${target.description}`,
    );
    return { line: say(would.join('; '), false), left, failed: [] };
  }
  const still = [...left, ...deployed.map((d) => d.version)];
  // A release that claimed the slot since the tick began owns the model's traffic; a rollback or
  // promotion recorded since has the word on what serves.
  if (await ports.ledger.canaryHolder(model.name)) return { left: still, failed: [] };
  const newer = await newerEntry(model, ports, last);
  if (newer)
    return {
      line: say(`${named(still)} not retired: ${entryText(newer)} was recorded meanwhile`, false),
      left: still,
      failed: [],
    };
  const said: string[] = [];
  const failed: string[] = [];
  for (const { version, as } of deployed) {
    const removed = `blue ${version} retired (${window} over): the ${as} is removed from ${target.description}`;
    try {
      await target.removeIdle(version, green);
      said.push(say(removed, false));
    } catch (err) {
      if (!(err instanceof TargetError)) throw err;
      // Reported failed but done (an operation that timed out on its way back), as for the newest blue.
      if (!(err instanceof TargetBusyError) && (await goneAfter(target, green, version))) {
        said.push(
          say(
            `${removed}; the removal was reported failed, but ${version} is gone all the same: ${err.message}`,
            false,
          ),
        );
        continue;
      }
      left.push(version);
      failed.push(version);
      said.push(say(`retiring blue ${version} failed: ${err.message}; the next schedule tick tries again`));
    }
  }
  return { line: said.join('; '), left, failed };
}

/**
 * What serves once a removal of `blue` was reported failed, when the platform shows green alone
 * all the same (blue no longer deployed); undefined while blue is still there, something else
 * serves, or the platform cannot be read.
 */
async function goneAfter(target: Target, green: string, blue: string): Promise<TrafficState | undefined> {
  try {
    const look = await lookAt(target, green, blue);
    return look.idle === undefined ? look.serving : undefined;
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return undefined;
  }
}

/** What serves, what beside green is deployed without traffic (idleVersion), and what serves it there. */
interface Look {
  serving: TrafficState;
  idle: string | null | undefined;
  /** Blue's variant, deployment or deployed model, on a platform that keeps one at 0% (retire-idle.ts). */
  as?: string | undefined;
}

/**
 * The platform as retiring `blue` sees it. Green is stable by the ledger's word unless another
 * version alone serves; blue by name only, so the platform's names map back to both. A platform
 * that keeps a version at 0% deployed reads it as absent once the run that set it is over, so it
 * is asked whether blue is still deployed there.
 */
async function lookAt(target: Target, green: string, blue: string): Promise<Look> {
  const serving = await target.read({ stable: green, others: [blue] });
  const idle = idleVersion(serving, green);
  if (!removesIdleVersions(target) || (idle !== undefined && idle !== blue)) return { serving, idle };
  const as = await target.deployedAs(blue);
  return as ? { serving, idle: blue, as } : { serving, idle: undefined };
}

const lastEntry = async (model: ModelConfig, ports: Ports) => (await ports.ledger.history(model.name)).at(-1);

/** The ledger's last entry when it is no longer `seen`: a rollback or promotion recorded since. */
async function newerEntry(
  model: ModelConfig,
  ports: Ports,
  seen: LedgerEntry,
): Promise<LedgerEntry | undefined> {
  const now = await lastEntry(model, ports);
  // The very entry seen (its time too): an entry alike recorded since is a newer one.
  return !now || (sameEntry(now, seen) && now.at === seen.at) ? undefined : now;
}

const entryText = (e: LedgerEntry) =>
  e.kind === 'rollback' ? `a rollback to ${e.version}` : `a promotion of ${e.version} (was ${e.previous})`;

/**
 * Retiring `blue` wrote `wrote` while another run recorded `entry` (a dispatch rollback): what that
 * entry serves is put back, where the platform still shows this run's change (theirs came first,
 * and this one replaced it); a change of theirs that landed after this one stands.
 */
async function putBack(
  model: ModelConfig,
  target: Target,
  entry: LedgerEntry,
  retired: { blue: string; wrote: TrafficState },
  say: (line: string, warn?: boolean) => string,
): Promise<string> {
  const { blue, wrote } = retired;
  const meanwhile = `blue ${blue} retired while ${entryText(entry)} was recorded`;
  const serves =
    entry.kind === 'rollback'
      ? withdrawTraffic(entry.version)
      : strategyOf(model.strategy).promoted(entry.previous, entry.version);
  try {
    const known = { stable: entry.version, others: [entry.previous, wrote.stable.version] };
    if (!sameTraffic(await target.read(known), wrote)) return say(`${meanwhile}; its change stands`, false);
    await reconcile(target, serves);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return say(
      `${meanwhile}; putting back what it serves (${describeTraffic(serves)}) failed: ${err.message}; run that command again`,
    );
  }
  return say(`${meanwhile}: ${describeTraffic(serves)} put back, as it records`);
}

/**
 * What beside `green` the target keeps deployed without live traffic: its version, undefined when
 * green alone is deployed, or null when it serves anything else (another stable, live traffic
 * on another version, a mirror).
 */
function idleVersion(serving: TrafficState, green: string): string | null | undefined {
  if (!sameTraffic(serving, withdrawTraffic(green))) return null;
  const idle = serving.canary?.version;
  return idle === green ? undefined : idle;
}
