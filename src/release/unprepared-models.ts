import { ModelGateError } from '../core/errors.js';
import type { Release } from './types.js';

// A PR's run checks every changed model (its target read, its pre-deploy gates…) before it records
// any new release: a record is what a later run or a schedule tick acts on, so one saved for a run
// that then stopped on another model would be deployed with no run of the PR ever reporting it.
// A model that cannot be prepared therefore starts none of the PR's new releases, as it would in a
// matrix job of its own (one model per job): the run fails naming each, and a re-run starts them all.

/** A PR run's models that could not be prepared: it starts no new release, and fails naming them. */
export class NotStartedError extends ModelGateError {}

/** The models a PR run could not prepare, each with what went wrong. */
export class UnpreparedModels {
  private readonly failures: { model: string; to: string; error: ModelGateError }[] = [];

  /** Keeps `error` (the user's to fix: a target, a file) for `model`; rethrows anything else (a bug). */
  keep(model: string, to: string, error: unknown): void {
    if (!(error instanceof ModelGateError)) throw error;
    this.failures.push({ model, to, error });
  }

  /** Throws when a model could not be prepared, naming it, and the releases `notStarted` for it. */
  throwIfAny(notStarted: Release[], pr: number): void {
    if (this.failures.length === 0) return;
    // One model, nothing else held back: its own error, as a run of that model alone says it.
    const [only] = this.failures;
    if (only && this.failures.length === 1 && notStarted.length === 0) throw only.error;
    const lines = this.failures.map(
      ({ model, to, error }) => `${model}: ${to} not started: ${error.message}`,
    );
    const failing = this.failures.map((f) => f.model).join(', ');
    if (notStarted.length > 0) {
      const others = notStarted.map((r) => `${r.model} ${r.to}`).join(', ');
      lines.push(
        `${others} not started either: PR #${pr}'s run starts its releases together once every changed model can be, so nothing was deployed or recorded for ${notStarted.length === 1 ? 'it' : 'them'}`,
      );
    }
    lines.push(`fix ${failing} and run again`);
    throw new NotStartedError(lines.join('\n'));
  }
}
