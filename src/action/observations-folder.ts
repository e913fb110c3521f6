import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder of this job's observation logs (output `observations-path`): under RUNNER_TEMP,
 * emptied after every job, so a workflow keeps it with actions/upload-artifact.
 */
export const observationsFolder = (env: NodeJS.ProcessEnv): string =>
  join(env.RUNNER_TEMP ?? tmpdir(), 'model-gate', 'observations');
