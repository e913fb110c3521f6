// `model-gate analyze`'s temporary folder, made, then removed after a second of work that does not
// yield (a signal waits for it); the process then goes on without one. Prints `made` once made.
import { setTimeout as pause } from 'node:timers/promises';
import { makeTempDir, removeTempDir } from '../../src/cli/analyze-temp-dirs.js';

const dir = makeTempDir('model-gate-analyze-test-');
process.stdout.write('made\n');
for (const until = Date.now() + 1_000; Date.now() < until; );
removeTempDir(dir);
await pause(60_000);
