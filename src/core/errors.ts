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

/** A metric source could not answer (outage, bad query): the gate is inconclusive, not passed. */
export class MetricsError extends ModelGateError {}

/** Wrong command-line or action input. */
export class InputError extends ModelGateError {}
