#!/usr/bin/env node
// The command line runs the committed bundle, so `npx model-gate` needs no build step.
await import('../dist/cli/index.js');
