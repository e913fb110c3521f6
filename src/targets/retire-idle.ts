import type { Target } from './target.js';

/**
 * A target on a platform that keeps a version deployed (and billed) at 0% however long, where
 * asking for the stable version alone changes no deployment: SageMaker (a production variant),
 * Azure ML (a deployment), Vertex AI (a deployed model). Such a target also reads a version
 * without traffic as absent once the run that set it is over, so the caller asks it here
 * whether one is still deployed. Blue-green's retirement of blue uses it (release/retire-blue.ts),
 * and so does a PR's close, for its candidate (release/tear-down.ts).
 */
export interface RemovesIdleVersions {
  /**
   * What serves `version` there while it is deployed, with or without traffic, for messages
   * (`production variant fraud-v1`); undefined when it is not deployed (or is being removed).
   */
  deployedAs(version: string): Promise<string | undefined>;
  /**
   * Takes `version` off the platform, only while `stable` alone takes live traffic and `version`
   * none (nor a mirror); waits until the platform is done, and fails (TargetError) when the
   * version is still deployed after that. Nothing else changes. The removal must never take away
   * a version that serves: where the platform does not itself refuse to remove one with traffic
   * (SageMaker deploys whatever config it is given), it does not wait on another change (a
   * rollback under way) but fails (TargetBusyError) for a later try, and it checks right before
   * the change that the platform is still as it read it.
   */
  removeIdle(version: string, stable: string): Promise<void>;
}

export function removesIdleVersions(target: Target): target is Target & RemovesIdleVersions {
  const t = target as Partial<RemovesIdleVersions>;
  return typeof t.deployedAs === 'function' && typeof t.removeIdle === 'function';
}
