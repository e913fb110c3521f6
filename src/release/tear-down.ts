import type { Config, ModelConfig } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { TargetBusyError } from '../targets/errors.js';
import { withdrawTraffic } from '../targets/reconcile.js';
import { type RemovesIdleVersions, removesIdleVersions } from '../targets/retire-idle.js';
import { platformNameOf, type Target } from '../targets/target.js';
import { onOtherTarget } from './deployed-target.js';
import { contextFor, type Ports } from './ports.js';
import type { SkippedLine } from './pull-request.js';
import { inFlight, type Release } from './types.js';

// SageMaker, Azure ML and Vertex AI keep a version deployed (and billed) at 0% however long, and
// the user's workflow deploys a PR's candidate there before model-gate runs. A PR closed without
// merge withdraws its candidate; this then takes the candidate's deployment off the platform, as
// blue-green's retirement of blue does (retire-blue.ts), unless the version is one to keep: the
// stable, one the ledger has serve (a revert PR's candidate, kept for a fast rollback), or another
// PR's candidate in the canary slot or in its queue. A removal that fails fails no job: it is
// said, with the command that does it by hand.

/**
 * What the close of a PR did to the deployments of its `releases` (its latest of each model, in
 * whatever state): one line per model with something to say, for the run's report. Nothing for a
 * target without RemovesIdleVersions, or a candidate already gone. `dryRun` removes nothing and
 * says what it would (a release still in flight: once its candidate is withdrawn).
 */
export async function tearDownCandidates(
  config: Config,
  releases: Release[],
  ports: Ports,
  opts: { dryRun: boolean },
): Promise<SkippedLine[]> {
  const lines: SkippedLine[] = [];
  for (const release of releases) {
    const model = config.models[release.model];
    if (!model) continue;
    const line = await tearDown(model, release, ports, opts.dryRun);
    if (!line) continue;
    const { why, warn, dryRun } = line;
    (warn ? ports.log.warn : ports.log.info)(`${model.name}: ${why}`);
    lines.push({ model: model.name, why, kind: dryRun ? 'dry-run' : 'note' });
  }
  return lines;
}

interface Said {
  why: string;
  warn?: boolean;
  dryRun?: boolean;
}

async function tearDown(
  model: ModelConfig,
  release: Release,
  ports: Ports,
  dryRun: boolean,
): Promise<Said | undefined> {
  const { target } = contextFor(model, ports);
  if (!removesIdleVersions(target) || onOtherTarget(release, target)) return undefined;
  const { to: candidate } = release;
  // Its withdrawal not confirmed yet (refused, unconfirmed, left alone): a re-run comes back to it.
  const live = inFlight(release) || release.withdrawPending === true;
  if (live && !dryRun) return undefined;
  const hand = removeByHand(model, target, candidate);
  try {
    const history = await ports.ledger.history(model.name);
    const hint = history.at(-1)?.version ?? release.from;
    const serving = await target.read({ stable: hint, others: [candidate] });
    const stable = serving.stable.version;
    // It serves (as stable, or with live traffic that is not this release's to withdraw).
    if (stable === candidate || (!live && hasTraffic(serving, candidate))) return undefined;
    const as = await target.deployedAs(candidate);
    if (!as) return undefined;
    const kept = await keptFor(model, release, history, ports);
    if (kept) {
      ports.log.info(`${model.name}: ${candidate}'s ${as} stays on ${target.description}: ${kept}`);
      return undefined;
    }
    const where = `its ${as} ${dryRun ? 'would be' : 'is'} removed from ${target.description}`;
    if (live) return { why: `once ${candidate} is withdrawn, ${where}`, dryRun: true };
    // Another version has traffic (or a mirror): removeIdle takes one only beside the stable alone.
    if (!sameTraffic(serving, withdrawTraffic(stable)))
      return {
        why: `${candidate} withdrawn, but its ${as} is left on ${target.description}, which serves ${describeTraffic(serving)}: model-gate removes it only beside ${stable} alone; re-run this job once ${stable} alone serves, or remove it by hand: ${hand(as)}`,
        warn: true,
      };
    if (dryRun) return { why: `${candidate} withdrawn; ${where}`, dryRun: true };
    return await remove(target, { candidate, stable, as }, hand);
  } catch (err) {
    // The PR's close is done: a look that fails (the platform, the ledger) is said, not thrown.
    return {
      why: `${candidate} withdrawn, but whether its deployment is still on ${target.description} could not be checked: ${messageOf(err)}; re-run this job to try again, or remove it by hand: ${hand()}`,
      warn: true,
    };
  }
}

/** Takes `candidate` off the platform, beside `stable` alone; a failure is said, never thrown. */
async function remove(
  target: Target & RemovesIdleVersions,
  look: { candidate: string; stable: string; as: string },
  hand: (as?: string) => string,
): Promise<Said> {
  const { candidate, stable, as } = look;
  const removed = `${candidate} withdrawn; its ${as} is removed from ${target.description}`;
  try {
    await target.removeIdle(candidate, stable);
    return { why: removed };
  } catch (err) {
    // Reported failed but done (an operation that timed out on its way back), as retire-blue.ts
    // finds: not one still under way, which a look may show gone while it is not.
    if (!(err instanceof TargetBusyError) && (await goneNow(target, candidate)))
      return {
        why: `${removed}; the removal was reported failed, but it is gone all the same: ${messageOf(err)}`,
      };
    return {
      why: `${candidate} withdrawn, but its ${as} is left on ${target.description}, where it still runs (and bills) without traffic: removing it failed: ${messageOf(err)}; re-run this job to try again, or remove it by hand: ${hand(as)}`,
      warn: true,
    };
  }
}

async function goneNow(target: RemovesIdleVersions, version: string): Promise<boolean> {
  try {
    return (await target.deployedAs(version)) === undefined;
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return false;
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

const hasTraffic = (serving: TrafficState, version: string) =>
  (serving.canary?.version === version && serving.canary.weight > 0) ||
  (serving.mirror?.version === version && serving.mirror.share > 0);

/**
 * Why `candidate` stays deployed although its release ended: the ledger has it serve (a promotion
 * of it or over it, a rollback to it: a version kept for a fast rollback), or another release holds
 * the canary slot with it, or another PR waits for the slot with it. Undefined when nothing keeps
 * it.
 */
async function keptFor(
  model: ModelConfig,
  release: Release,
  history: LedgerEntry[],
  ports: Ports,
): Promise<string | undefined> {
  const candidate = release.to;
  const served = history.some(
    (e) => e.version === candidate || (e.kind === 'promotion' && e.previous === candidate),
  );
  if (served || (await ports.ledger.servedEarlier?.(model.name, candidate)))
    return `${candidate} served ${model.name} as the ledger records, so it is kept for a rollback`;
  const holder = await ports.ledger.canaryHolder(model.name);
  const theirs = holder && !(holder.pr === release.pr && holder.startedAt === release.startedAt);
  if (theirs && holder.to === candidate)
    return `${holder.pr === undefined ? 'another release' : `PR #${holder.pr}`} holds the canary slot with it`;
  // A PR queued behind the slot declares it too: its job, re-run once the slot frees, releases this
  // deployment (the user's deploy step ran before it queued), and would fail on it gone.
  const waiting = (await ports.ledger.waiters?.(model.name, candidate)) ?? [];
  const prs = [...new Set(waiting.filter((w) => w.pr !== release.pr).map((w) => `#${w.pr}`))];
  if (prs.length === 1) return `PR ${prs[0]} waits for the canary slot with it`;
  if (prs.length > 1) return `PRs ${prs.join(', ')} wait for the canary slot with it`;
  return undefined;
}

/**
 * How to take `version`'s deployment (`as`, as deployedAs says it) off the platform by hand, in the
 * words of each platform's own messages (sagemaker-target.ts, azureml-target.ts, vertex-target.ts).
 */
function removeByHand(model: ModelConfig, target: Target, version: string): (as?: string) => string {
  const name = platformNameOf(target, version);
  const t = model.target;
  if (t.type === 'sagemaker') {
    const where = [
      ...(t.region ? [`--region ${t.region}`] : []),
      ...(t.profile ? [`--profile ${t.profile}`] : []),
    ];
    const aws = (...args: string[]) => ['aws sagemaker', ...args, ...where].join(' ');
    return () =>
      `create an endpoint config with the endpoint's other variants (\`${aws('create-endpoint-config', '--endpoint-config-name', 'NEW_CONFIG', "--production-variants '[...]'")}\`) and deploy it (\`${aws('update-endpoint', '--endpoint-name', t.endpoint, '--endpoint-config-name', 'NEW_CONFIG')}\`)`;
  }
  if (t.type === 'azureml') {
    const subscription = t.subscription ? ` --subscription ${t.subscription}` : '';
    return () =>
      `\`az ml online-deployment delete --name ${name} --endpoint-name ${t.endpoint} --resource-group ${t.resourceGroup} --workspace-name ${t.workspace}${subscription} --yes\``;
  }
  if (t.type === 'vertex') {
    const project = t.project ? ` --project=${t.project}` : '';
    return (as) => {
      // deployedAs says `deployed model NAME with ID ID` (`with IDs ID1, ID2` for a version deployed
      // twice): one command per ID; without it, describe tells the ID.
      const ids = as?.match(/ with IDs? (.+)$/)?.[1]?.split(', ') ?? ['ID'];
      return ids
        .map(
          (id) =>
            `\`gcloud ai endpoints undeploy-model ${t.endpoint} --region=${t.region}${project} --deployed-model-id=${id}\``,
        )
        .join(' and ');
    };
  }
  return () => `take ${version} (${name}) off ${target.description}`;
}
