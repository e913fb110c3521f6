// The one bundle behind dist/: the action's main and post steps and the command line share
// all their code, so it is bundled (and minified) once; dist/index.js, dist/post.js and
// dist/cli/index.js are two-line entry points into it, written by scripts/build.mjs.
export { run } from './action/main.js';
export { post } from './action/post.js';
export { main } from './cli/main.js';
