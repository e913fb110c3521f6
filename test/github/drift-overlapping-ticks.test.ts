import { describe, expect, it } from 'vitest';
import { runDecision } from '../../src/report/decision.js';
import { useGitHubDriftWorld } from './drift-world.js';

// Schedule runs overlap when one is slow. Two ticks that both found v2's drift not on record both
// marked it, both told PR #7 and both failed. Now the one whose mark came first alerts; the other
// says the drift is on record.
const driftWorld = useGitHubDriftWorld();

/** A promise and the function that settles it. */
function signal() {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

/** A deployment status being written, as the request hook names it. */
const MARK = 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses';

describe('two overlapping ticks finding the same drift begun', () => {
  it('alert once between them', async () => {
    const w = await driftWorld.promotedV2(true);
    const marked = signal();
    // Run 1 marks the drift only once run 2 has marked it: both read the record before either wrote.
    const slow = w.tick({ beforeRequest: async (r) => (r === MARK ? marked.fired : undefined) });
    const fast = w.tick({
      beforeRequest: async (r) => {
        if (r === MARK) setImmediate(marked.fire);
      },
    });
    const [one, two] = await Promise.all([slow, fast]);

    const alerted = [one, two].filter((t) => runDecision(t.result) === 'failed');
    expect(alerted).toHaveLength(1);
    expect([...(one.result.notify ?? []), ...(two.result.notify ?? [])]).toHaveLength(1);
  });
});
