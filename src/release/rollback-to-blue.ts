/**
 * `a rollback to v1 deploys it again`: what a rollback to blue-green's blue takes once blue is not
 * deployed beside green, as a tick retiring blue, a status run and a promotion's report say it.
 * `redeployFirst`: where model-gate takes a version at 0% off the platform (retire-idle.ts), only
 * the user's deploy step puts blue back, before a rollback to it can go through.
 */
export const rollbackToBlue = (blue: string, redeployFirst: boolean): string =>
  `a rollback to ${blue} ${redeployFirst ? 'needs it deployed there again first' : 'deploys it again'}`;
