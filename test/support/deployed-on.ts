import type { ModelConfig } from '../../src/config/types.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import { targetFor } from '../../src/release/adapters.js';
import { deployingOn } from '../../src/release/deployed-target.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';

/** PR #7's candidate v2, deployed (its first step recorded) on `model`'s target, read back as a ledger stores it. */
export function deployedOn(model: ModelConfig): Release {
  const fresh = newRelease(model, { from: 'v1', to: 'v2', pr: 7, headSha: 'a'.repeat(40), now: 0 });
  const stored = storedForm({ ...deployingOn(fresh, targetFor(model)), phase: 0 });
  if (!stored.ok) throw new Error(stored.problems.join('; '));
  return stored.value;
}
