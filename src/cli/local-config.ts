import { join, relative } from 'node:path';
import { DEFAULT_CONFIG_PATH, type LoadedConfig, type LoadOptions, loadConfig } from '../config/load.js';
import { secretValues, tooShortToMask } from '../config/secret-values.js';
import { addSecret, redact } from '../core/redact.js';

/**
 * How a local command's "config file not found" says to point at another file: `given`, the path
 * --config gave, which naming the flag again would not fix.
 */
export const configPathHint = (given: string | undefined): string =>
  given === undefined ? 'pass its path with --config PATH' : 'check the path given to --config';

/** The config a local command reads: `--config` as given, else .github/model-gate.yml at the repository's top. */
export const localConfigPath = (cwd: string, root: string, given?: string): string =>
  given ?? relative(cwd, join(root, DEFAULT_CONFIG_PATH));

/**
 * The config as the action loads it, with this process's environment for `${NAME}`. The values
 * the action masks are redacted (`***`) from every message made after this, and from what the
 * command prints through `redact`: a command target's stderr may echo them, and a terminal's
 * scrollback or a CI log of `model-gate run` is as public as the action's log.
 */
export async function loadLocalConfig(path: string, options: LoadOptions): Promise<LoadedConfig> {
  const loaded = await loadConfig(path, process.env, options);
  const { values, tooShort } = secretValues(loaded.interpolated, process.env);
  for (const short of tooShort) console.warn(`warning: ${tooShortToMask(short)}`);
  for (const secret of values) addSecret(secret);
  for (const ignored of loaded.ignored ?? []) console.warn(`warning: ${redact(ignored)}`);
  return loaded;
}
