// Runs one of the action's steps from source as its own process, as dist/index.js and dist/post.js
// run them from the bundle: `index.js` (the main step) or `post.js`.
import { run } from '../../src/action/main.js';
import { post } from '../../src/action/post.js';

await (process.argv[2] === 'post.js' ? post() : run());
