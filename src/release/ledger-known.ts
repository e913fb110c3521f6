import type { LedgerEntry } from '../ledger/ledger.js';
import type { KnownVersions } from '../targets/target.js';
import type { Release } from './types.js';

/**
 * The versions the ledger knows for reading what serves: the release in flight's in their roles,
 * else the last recorded stable; every version the ledger names (and a rollback's `named` one) by
 * name, so a platform's names map back to them (`fraud-1-0-0` is `1.0.0`, not `1-0-0`).
 */
export function ledgerKnown(history: LedgerEntry[], candidate?: Release, named?: string): KnownVersions {
  return {
    stable: candidate ? candidate.from : history.at(-1)?.version,
    candidate: candidate?.to,
    others: [...(named === undefined ? [] : [named]), ...history.flatMap((e) => [e.version, e.previous])],
  };
}
