import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import { repositoryTop } from '../version/git.js';
import { localConfigPath } from './local-config.js';
import { usageError } from './usage.js';

const USAGE = `usage: model-gate validate [config]
  checks a configuration file as the action would read it (default .github/model-gate.yml at
  the repository's top, or in the current folder outside a git repository)
exit code: 0 when it is valid, 1 when it is missing or invalid (one line per problem), 2 on a
  usage error (an option, or more than one file)`;

/** What a missing file's error says to do: the path is this command's argument. */
const PATH_HINT = 'pass its path: model-gate validate PATH';

/**
 * `model-gate validate [config]`: loads the config as the action would (with this process's
 * environment for `${NAME}`), prints `✓ <file>: N models (a, b)` and returns 0, or prints
 * each problem on its own line to stderr and returns 1; 2 on a usage error.
 */
export async function validateCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const options = argv.filter((arg) => arg.startsWith('-'));
  const paths = argv.filter((arg) => !options.includes(arg));
  if (options.length > 0) return usageError('validate', USAGE, `unknown option ${options[0]}`);
  if (paths.length > 1) return usageError('validate', USAGE, `unexpected argument "${paths[1]}"`);
  // The same file plan and run read by default, from any folder of the repository.
  // Outside a repository, or without git, it reads from the current folder.
  const top = paths[0] === undefined ? await repositoryTop(cwd).catch(() => undefined) : undefined;
  const file = paths[0] ?? (top === undefined ? DEFAULT_CONFIG_PATH : localConfigPath(cwd, top));
  try {
    const { config } = await loadConfig(file, process.env, { pathHint: PATH_HINT });
    const names = Object.keys(config.models);
    console.log(`✓ ${file}: ${names.length} model${names.length === 1 ? '' : 's'} (${names.join(', ')})`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) console.error(problem);
    return 1;
  }
}
