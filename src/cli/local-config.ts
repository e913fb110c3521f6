import { join, relative } from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';

/** The config a local command reads: `--config` as given, else .github/model-gate.yml at the repository's top. */
export const localConfigPath = (cwd: string, root: string, given?: string): string =>
  given ?? relative(cwd, join(root, DEFAULT_CONFIG_PATH));
