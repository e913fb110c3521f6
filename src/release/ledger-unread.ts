import { ModelGateError, TargetError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import { describeTraffic, sameTraffic } from '../core/traffic.js';
import type { Ledger } from '../ledger/ledger.js';
import { withdrawTraffic } from '../targets/reconcile.js';
import type { ReleaseContext } from './context.js';
import { ledgerKnown } from './ledger-known.js';
import type { Ports } from './ports.js';

// A GitHub outage, stall or rate limit must not hold a rollback in an incident: a read of the
// ledger before the change gets one short try (ledgerBeforeChange); one GitHub fails stops at once
// (nothing changed yet), and a rollback that names its version goes ahead without the ledger
// (commands.ts rollbackUnread).

/** GitHub failed a read of the ledger that a rollback makes before its traffic change. */
export class LedgerUnread extends ModelGateError {
  /** GitHub's answer, in one line. */
  readonly github: string;
  constructor(failure: unknown) {
    const github = describeGitHubError(failure);
    super(`the ledger on GitHub could not be read (${github})`);
    this.github = github;
  }
}

/** The ledger a rollback reads before its change: one short try where the ports have it (quickLedger). */
export const ledgerBeforeChange = (ports: Pick<Ports, 'ledger' | 'quickLedger'>): Ledger =>
  ports.quickLedger ?? ports.ledger;

/** `read`, a ledger read before a rollback's change: GitHub failing it throws LedgerUnread. */
export async function beforeChange<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (isGitHubError(err)) throw new LedgerUnread(err);
    throw err;
  }
}

/** The log's line for a rollback to `to` that goes ahead without the ledger, its checks skipped. */
export const rollingBackUnread = (model: string, unread: LedgerUnread, to: string): string =>
  `${model}: ${unread.message}: rolling back to ${to} without it, its checks skipped (a candidate in flight, whether ${to} served before)`;

/**
 * The error of a rollback without `to-version` whose ledger GitHub could not read: nothing changed,
 * what serves (read from the platform; said where that fails too), and how to go ahead anyway.
 */
export async function stoppedUnread(
  model: string,
  ctx: ReleaseContext,
  unread: LedgerUnread,
  toVersionName: string,
): Promise<ModelGateError> {
  const serves = await ctx.target.read(ledgerKnown([])).then(
    (state) =>
      sameTraffic(state, withdrawTraffic(state.stable.version))
        ? `${state.stable.version} still serves`
        : `${state.stable.version} still serves (the platform as ${describeTraffic(state)})`,
    (err: unknown) => {
      if (!(err instanceof TargetError)) throw err;
      return `and what serves could not be read either (${err.message})`;
    },
  );
  return new ModelGateError(
    `rollback ${model}: nothing changed, ${serves}: ${unread.message}; set ${toVersionName} to roll back without it`,
  );
}
