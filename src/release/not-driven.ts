import { ConfigError, ModelGateError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import { redact } from '../core/redact.js';
import type { Logger } from './ports.js';

// A schedule tick drives its models one after another, and what it changed is recorded at the end
// of the pass: a failure that stopped the tick at one model would leave the others undriven, and
// what earlier ones changed on the platforms unrecorded. A model whose part meets a failure
// model-gate knows is left as it is instead, a line says why, and the run fails on it at the end.

/**
 * A model's pass of a tick stopped by a failure model-gate knows (GitHub not answering, say): the
 * other models are driven and what was driven is recorded, then the run fails on it.
 */
export class NotDrivenError extends ModelGateError {}

/**
 * Whether `err`, met in one model's part of a tick, leaves only that model undriven: GitHub's answer
 * (an outage, a rate limit: the next tick tries again), or a ConfigError saying this run's config
 * cannot act on its release (deployed on another target).
 */
export const stopsOneModel = (err: unknown): boolean => isGitHubError(err) || err instanceof ConfigError;

/**
 * The line (logged as a warning) and the error the run fails on at the end, for `model` whose part
 * of the tick `err` stopped (stopsOneModel). A ConfigError keeps its own words, which name the
 * model and what to do; GitHub's answer is told with the next tick trying again.
 */
export function notDriven(
  model: string,
  err: unknown,
  log: Logger,
): { line: { model: string; why: string; kind: 'note' }; error: Error } {
  const prefix = `${model}: `;
  let why: string;
  let error: Error;
  if (err instanceof ConfigError) {
    why = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    error = err;
  } else {
    why = redact(
      `this tick stopped driving its release: ${describeGitHubError(err)}; the next tick tries again`,
    );
    error = new NotDrivenError(`${prefix}${why}`);
  }
  log.warn(`${prefix}${why}`);
  return { line: { model, why, kind: 'note' }, error };
}
