// Runs the `model-gate` command line from source as its own process, in the caller's cwd.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
