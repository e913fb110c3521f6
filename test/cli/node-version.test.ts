import { expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript beside the bin, without types
import { nodeVersionProblem } from '../../bin/node-version.js';

it('refuses a Node older than 24 in one line that says what to install', () => {
  expect(nodeVersionProblem('v20.20.2')).toBe(
    'model-gate needs Node.js 24 or newer, and this is v20.20.2: install Node 24 (in a workflow: actions/setup-node with node-version: 24)',
  );
  expect(nodeVersionProblem('v24.0.0')).toBeUndefined();
  expect(nodeVersionProblem(process.version)).toBeUndefined();
});
