import { wholeServiceWarnings } from '../config/gate-queries.js';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import { repositoryTop } from '../version/git.js';
import { loadLocalConfig, localConfigPath } from './local-config.js';

/** What a missing file's error says to do: the path is this command's argument. */
const PATH_HINT = 'pass its path: model-gate validate PATH';

/**
 * The work of `model-gate validate` once its command line is valid: `given`, or the default
 * file, loaded as the action would. Its own module, so that a usage error or `--help` returns
 * before the config schema loads.
 */
export async function validateConfig(given: string | undefined, cwd: string): Promise<number> {
  // The same file plan and run read by default, from any folder of the repository.
  // Outside a repository, or without git, it reads from the current folder.
  const top = given === undefined ? await repositoryTop(cwd).catch(() => undefined) : undefined;
  const file = given ?? (top === undefined ? DEFAULT_CONFIG_PATH : localConfigPath(cwd, top));
  try {
    const { config } = await loadLocalConfig(file, { pathHint: PATH_HINT });
    const names = Object.keys(config.models);
    console.log(`✓ ${file}: ${names.length} model${names.length === 1 ? '' : 's'} (${names.join(', ')})`);
    // Valid all the same: a warning never changes the exit code.
    for (const warning of wholeServiceWarnings(config)) console.error(`warning: ${file}: ${warning}`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) console.error(problem);
    return 1;
  }
}
