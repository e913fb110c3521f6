/** Where the demo models live, from the source tree and from an ncc bundle in dist/ alike. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO_MODELS = ['examples', 'sandbox', 'models'] as const;

/**
 * Walks up from `start` to the first folder holding examples/sandbox/models. Walking (rather than a
 * fixed `../..`) is what lets src/sandbox/paths.ts and dist/cli.js find the same folder.
 */
export function findDemoModelsDir(start: string): string | undefined {
  let dir = start;
  for (;;) {
    const candidate = join(dir, ...DEMO_MODELS);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/** Absolute path of examples/sandbox/models (if it cannot be found, the path it would have in the repo). */
export const demoModelsDir: string = findDemoModelsDir(here) ?? join(here, '..', '..', ...DEMO_MODELS);
