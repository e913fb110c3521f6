import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load.js';
import { ConfigError } from '../core/errors.js';

const USAGE = 'usage: model-gate validate [config]   (default .github/model-gate.yml)';

/**
 * `model-gate validate [config]`: loads the config as the action would (with this process's
 * environment for `${NAME}`), prints `✓ <file>: N models (a, b)` and returns 0, or prints
 * each problem on its own line to stderr and returns 1.
 */
export async function validateCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const options = argv.filter((arg) => arg.startsWith('-'));
  const paths = argv.filter((arg) => !options.includes(arg));
  if (options.length > 0 || paths.length > 1) {
    console.error(`model-gate validate: unexpected ${options[0] ?? `argument "${paths[1]}"`}\n${USAGE}`);
    return 1;
  }
  const file = paths[0] ?? DEFAULT_CONFIG_PATH;
  try {
    const { config } = await loadConfig(file, process.env);
    const names = Object.keys(config.models);
    console.log(`✓ ${file}: ${names.length} model${names.length === 1 ? '' : 's'} (${names.join(', ')})`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) console.error(problem);
    return 1;
  }
}
