import { join, relative } from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';

/** How a local command's "config file not found" says to point at another file. */
export const CLI_PATH_HINT = 'pass its path with --config PATH';

/** The config a local command reads: `--config` as given, else .github/model-gate.yml at the repository's top. */
export const localConfigPath = (cwd: string, root: string, given?: string): string =>
  given ?? relative(cwd, join(root, DEFAULT_CONFIG_PATH));
