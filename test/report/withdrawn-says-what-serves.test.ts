import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type RunOptions } from '../../src/release/pull-request.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { fraudPr } from '../support/fraud-pr.js';

// A withdrawn candidate's line says why once and what serves now, as a rollback's line does
// ("rolled back to v1"): it used to read "…closed without merging; v2 withdrawn" after "v2 was withdrawn".

const tick: RunOptions = { mode: 'tick', maxWaitMs: 0, dryRun: false };

/** fraud v2 deployed at its first canary step, in flight. */
async function inFlight() {
  const pr = await fraudPr();
  await handlePullRequest(pr.config, pr.event('opened'), pr.ports, tick);
  expect(pr.target.state).toMatchObject({ canary: { version: 'v2' } });
  return pr;
}

describe('the line of a withdrawn candidate', () => {
  it('a PR closed without merging: why, once, then that v1 serves', async () => {
    const { config, ports, event } = await inFlight();
    const closed = await handlePullRequest(config, event('closed'), ports, tick);
    expect(renderTerminal(config, closed, 0).split('\n').slice(0, 2)).toEqual([
      'model-gate: ⏹️ Withdrawn',
      '  fraud v2 was withdrawn: the PR was closed without merging; v1 serves',
    ]);
  });

  it('an abort command: who aborted it, then that v1 serves', async () => {
    const { config, ports } = await inFlight();
    const inputs = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    const aborted = await handleCommand(config, 'abort', inputs, ports);
    expect(renderTerminal(config, aborted, 0)).toContain(
      '  fraud v2 was withdrawn: aborted by workflow_dispatch; v1 serves\n',
    );
  });
});
