// The one bundle behind dist/: the action's main and post steps and the command line share
// all their code, so it is bundled (and minified) once; dist/index.js, dist/post.js and
// dist/cli/index.js are two-line entry points into it, written by scripts/build.mjs.
// Each part is evaluated only when its entry point calls it: `model-gate --help` must not wait
// for the action's modules. The bundler's "eager" mode keeps every part in the one file.
import type * as action from './action/main.js';
import type * as actionPost from './action/post.js';
import type * as cli from './cli/main.js';

export const run: typeof action.run = async (...args) =>
  (await import(/* webpackMode: "eager" */ './action/main.js')).run(...args);
export const post: typeof actionPost.post = async (...args) =>
  (await import(/* webpackMode: "eager" */ './action/post.js')).post(...args);
export const main: typeof cli.main = async (...args) =>
  (await import(/* webpackMode: "eager" */ './cli/main.js')).main(...args);
