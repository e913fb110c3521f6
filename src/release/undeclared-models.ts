import type { Config } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { candidateMayBeLive, type Release } from './types.js';

// A model removed from the config (or renamed) while its candidate may be live: no run under that
// config drives or withdraws it, and the candidate would keep its traffic for ever while each run
// said nothing of it. A run that meets one fails saying so instead. A ready candidate has no live
// traffic: the GitHub ledger warns of its undeclared model, and the run goes on.

/**
 * A ledger that lists a PR's releases, whatever their model: the GitHub ledger (its PR's comment).
 * The Ledger port has no such method; a ledger without one (a local file) is not checked.
 */
interface ListsPrReleases {
  releasesOf(pr: number): Promise<ReadonlyMap<string, Release>>;
}

const listsPrReleases = (ledger: Ledger): ledger is Ledger & ListsPrReleases =>
  typeof (ledger as Partial<ListsPrReleases>).releasesOf === 'function';

/** Whether `release`'s candidate may get live traffic a run must act on (a change to idle pending included). */
const mayBeLive = (release: Release): boolean => candidateMayBeLive(release) || release.idlePending === true;

/**
 * Throws a ConfigError when PR `pr` has a release whose candidate may be live (analysing, its
 * withdrawal or change to idle pending) of a model `config` does not name, one line per model.
 */
export async function checkPrModelsDeclared(config: Config, pr: number, ledger: Ledger): Promise<void> {
  if (!listsPrReleases(ledger)) return;
  const recorded = [...(await ledger.releasesOf(pr)).values()];
  checkDeclared(
    config,
    recorded.filter((r) => r.pr === pr),
  );
}

/** Throws a ConfigError when any of `releases` whose candidate may be live is of a model `config` does not name. */
export function checkDeclared(config: Config, releases: Release[]): void {
  const undeclared = releases.filter((r) => mayBeLive(r) && !Object.hasOwn(config.models, r.model));
  if (undeclared.length > 0) throw new ConfigError(undeclared.map(undeclaredLine));
}

function undeclaredLine(release: Release): string {
  const { model, to } = release;
  const whose = release.pr === undefined ? 'the' : `PR #${release.pr}'s`;
  const state = release.withdrawPending ? `${release.status}, its withdrawal pending` : release.status;
  return `${model}: ${whose} candidate ${to} is ${state}, but the config no longer names ${model}: no run can drive or withdraw it, and ${to} may still get live traffic. Put ${model} back in the config as it was, or run command: abort with a config naming it, before removing or renaming it`;
}
