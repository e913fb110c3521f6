#!/usr/bin/env node
// The command line runs the committed bundle, so `npx model-gate` needs no build step.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version);
if (problem) {
  console.error(problem);
  process.exit(2);
}
await import('../dist/cli/index.js');
