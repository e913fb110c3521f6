import { redact } from './redact.js';

/**
 * One error class per failure class, so the top level can choose between
 * "tell the user and deploy nothing", "retry", "inconclusive" and "roll back".
 * Every message says what is wrong and, where it can, what to do next.
 */
export class ModelGateError extends Error {
  constructor(message: string) {
    // Messages reach PR comments and commit statuses, which the runner does not mask.
    super(redact(message));
    this.name = new.target.name;
  }
}

/** The configuration file is wrong: nothing is deployed. `problems` holds one line per fault. */
export class ConfigError extends ModelGateError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** A model version read from a PR is missing or unsafe: nothing is deployed. */
export class VersionError extends ModelGateError {}

/** The serving platform refused, failed, or did not end in the state asked for. */
export class TargetError extends ModelGateError {}

/**
 * A metric source could not answer (outage, bad query): the gate is inconclusive, not passed.
 * `passing`: a fault that passes by itself (a rate limit or throttling, a 5xx, a timeout, a server
 * not reached or an answer cut off), set where the source raises it: a check before any traffic
 * that met only such faults asks for a re-run rather than failing the head (metrics-preflight.ts).
 * False for anything asking someone to act (a rejected query, refused credentials, a wrong url).
 */
export class MetricsError extends ModelGateError {
  readonly passing: boolean;
  constructor(message: string, options: { passing?: boolean } = {}) {
    super(message);
    this.passing = options.passing ?? false;
  }
}

/** Wrong command-line or action input. */
export class InputError extends ModelGateError {}
