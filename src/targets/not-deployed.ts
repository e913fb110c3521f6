import { TargetRefusedError } from './errors.js';

/**
 * A traffic change refused before any write because a version it sends traffic to is not deployed
 * on the endpoint (the deploy step skipped, a typo, or a blue retired after the rollback window).
 * Its message is a release's words (deploy the candidate before the release); a rollback reads the
 * parts to say its own (commands.ts): the version to deploy again, then the rollback re-run.
 */
export class NotDeployedError extends TargetRefusedError {
  constructor(
    /** The versions missing. */
    readonly versions: string[],
    /** Where they are missing: the endpoint, as the target describes it. */
    readonly where: string,
    /** What the endpoint has instead (`it has fraud-v2`, `its traffic lists fraud-v2 100%`). */
    readonly has: string,
    /** How to deploy one with no traffic: the command, with what to fill in. */
    readonly deploy: string,
    /** What the release's message opens with, naming the platform's names for the versions. */
    lacks: string,
  ) {
    super(
      `${lacks}; ${has}. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. ${deploy}`,
    );
  }
}
