import { beforeAll, describe, expect, it } from 'vitest';
import type { FakePullRequestFile } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// GitHub lists at most 3000 of a PR's files ("Responses include a maximum of 3000 files"). A PR that
// adds 3000 data files and moves models/fraud.yaml from v1 to v2 has its version file past the cut:
// taken for the whole list, it said the PR touches no version file, and nothing was released. Main
// step from src/, against the GitHub stand-in (which cuts the list as GitHub does) and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig('{ type: canary, steps: [10, 50] }');
const FILES: FakePullRequestFile[] = [
  ...Array.from({ length: 3000 }, (_, i) => ({
    filename: `data/batch-${String(i).padStart(4, '0')}.csv`,
    status: 'added' as const,
  })),
  { filename: FILE, status: 'modified' },
];

const world = useFraudPrWorld({ pr: 7, config: CONFIG });
beforeAll(() => {
  world.github.setPullRequest(7, { baseSha: sha(1), headSha: sha(2), files: FILES });
});

const step = (inputs: Record<string, string>) =>
  world.step(
    'pull_request',
    pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    inputs,
  );

describe('a pull request of more than 3000 files', () => {
  it('its version change past the 3000th file is found: planned, then deployed', async () => {
    const plan = await step({ command: 'plan' });
    expect(plan.error).toBeUndefined();
    expect(plan.outputs.matrix).toBe('{"include":[{"model":"fraud-detector"}]}');
    // The stand-in cut the list, as GitHub does: 30 pages of 100.
    const listed = world.github.requests.filter((r) => r.template?.endsWith('/pulls/{pull_number}/files'));
    expect(listed).toHaveLength(30);

    const run = await step({ mode: 'tick' });
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('analysing');
    expect(run.log).not.toContain('the PR touches none of the version files');
    expect(await fraudServing(world.sandbox)).toMatchObject({ canary: { version: 'v2' } });
    expect(world.github.commitStatuses(sha(2)).map((s) => s.context)).toContain('model-gate/fraud-detector');
  }, 60_000);
});
