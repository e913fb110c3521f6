import type { Config } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { candidateToActOn, type Release } from './types.js';

// A model removed from the config (or renamed) while its candidate may be live: no run under that
// config drives or withdraws it, and the candidate would keep its traffic for ever while each run
// said nothing of it. A run that meets one fails saying so instead, once it acted on its other
// models: a PR's run for its own releases (a matrix's plan job for all of them, as none of its
// jobs is given a model the config does not name), a schedule tick for every release its ledger lists
// (Ledger.slotHolders; a ledger that lists none is not checked). A ready candidate has no live
// traffic: the GitHub ledger warns of its undeclared model, and the run goes on.

/**
 * A ConfigError for each model `config` does not name of which PR `pr` has a release whose candidate
 * may be live (analysing, its withdrawal or change to idle pending), for the run to fail on once it
 * acted on the PR's other models. A matrix job (`only`: one model of the config) checks its own
 * model alone: another job's model is none of its business.
 */
export async function undeclaredOfPr(
  config: Config,
  pr: number,
  ledger: Ledger,
  only?: string,
): Promise<ConfigError[]> {
  if (only !== undefined) return [];
  const found = undeclared(config, (await ledger.slotHolders?.(pr)) ?? []);
  return found.map((r) => new ConfigError([`${r.model}: ${undeclaredWhy(r)}`]));
}

/**
 * A schedule tick's check: each model `config` does not name whose release, any PR's, the ledger
 * lists with a candidate that may be live, and why that is a fault (the line a run fails on, after
 * `${model}: `).
 */
export async function undeclaredInTick(
  config: Config,
  ledger: Ledger,
): Promise<{ model: string; why: string }[]> {
  return undeclared(config, (await ledger.slotHolders?.()) ?? []).map((r) => ({
    model: r.model,
    why: undeclaredWhy(r),
  }));
}

/** Throws a ConfigError when any of `releases` whose candidate may be live is of a model `config` does not name. */
export function checkDeclared(config: Config, releases: Release[]): void {
  const found = undeclared(config, releases);
  if (found.length > 0) throw new ConfigError(found.map((r) => `${r.model}: ${undeclaredWhy(r)}`));
}

const undeclared = (config: Config, releases: Release[]): Release[] =>
  releases.filter((r) => candidateToActOn(r) && !Object.hasOwn(config.models, r.model));

function undeclaredWhy(release: Release): string {
  const { model, to } = release;
  const whose = release.pr === undefined ? 'the' : `PR #${release.pr}'s`;
  const state = release.withdrawPending ? `${release.status}, its withdrawal pending` : release.status;
  return `${whose} candidate ${to} is ${state}, but the config no longer names ${model}: no run can drive or withdraw it, and ${to} may still get live traffic. Put ${model} back in the config as it was, or run command: abort with a config naming it, before removing or renaming it`;
}
