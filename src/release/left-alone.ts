import { ConfigError } from '../core/errors.js';
import type { Ports } from './ports.js';
import type { Release } from './types.js';

// A run whose config cannot act on one model's candidate (deployed on another target, or its model
// no longer named: deployed-target.ts, undeclared-models.ts) must still act on the others: one
// moved model must not keep a closed PR's other candidates live. Each model is acted on in its own
// try; the ConfigErrors are kept here, and the run fails on them once it is done with the others.

/**
 * driveReleases' error when its config cannot act on some of the releases it was given: it drove
 * the others, and `releases` are all of them as it left them, in the order given.
 */
export class LeftAloneError extends ConfigError {
  constructor(
    problems: string[],
    readonly releases: Release[],
  ) {
    super(problems);
  }
}

/** The models a run left alone, each with the lines that say why and what to do. */
export class LeftAlone {
  private readonly problems: string[] = [];

  /** Keeps `err` when it is a ConfigError (this config cannot act on that model); rethrows any other. */
  keep(err: unknown): void {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) if (!this.problems.includes(problem)) this.problems.push(problem);
  }

  /**
   * Once the run acted on every model it could: its `releases` written where other runs read them
   * (a PR's comment), then one ConfigError naming every model left alone. Nothing when there is none.
   */
  async fail(releases: Release[], ports: Pick<Ports, 'onProgress'>): Promise<void> {
    if (this.problems.length === 0) return;
    if (releases.length > 0) await ports.onProgress?.(releases, { force: true });
    throw new ConfigError(this.problems);
  }
}
