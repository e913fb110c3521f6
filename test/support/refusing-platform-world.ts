import { afterAll, beforeAll, expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from './fake-github/server.js';
import { runMainStep, startFraudWorld } from './main-step.js';
import { sha } from './model-config.js';
import { refusingWithdrawals } from './platform-pass-through.js';

/**
 * A main-step test file's world, started once for the file: the sandbox serving fraud-detector v1
 * (`seed` for its random draws), GitHub's stand-in, and between the target and the sandbox a
 * pass-through refusing withdrawals with a 503 saying `refusal` while `refusing()`. `step` runs the
 * action's main step from src/ on it (runMainStep): `config` reading \${PLATFORM_URL} and
 * \${SANDBOX_URL}, the ledger a PR comment on the stand-in, GITHUB_SHA sha(1), the stand-in's waits
 * scaled by `githubWaitScale`. After the file, GitHub must have refused none of the requests made.
 */
export function useRefusingPlatform(opts: {
  config: string;
  refusal: string;
  refusing: () => boolean;
  githubWaitScale: string;
  seed?: number;
}) {
  const world = {
    // Set by beforeAll.
    sandbox: undefined as unknown as Sandbox,
    github: undefined as unknown as FakeGitHub,
    platform: undefined as unknown as Awaited<ReturnType<typeof refusingWithdrawals>>,
    step: (eventName: string, event: unknown, inputs: Record<string, string>) =>
      runMainStep({
        eventName,
        event,
        inputs: { ledger: 'github', ...inputs },
        config: opts.config,
        githubUrl: world.github.url,
        env: {
          SANDBOX_URL: world.sandbox.url,
          PLATFORM_URL: world.platform.url,
          GITHUB_SHA: sha(1),
          MODEL_GATE_TEST_GITHUB_WAIT_SCALE: opts.githubWaitScale,
        },
      }),
  };
  beforeAll(async () => {
    Object.assign(world, await startFraudWorld('v1', opts.seed));
    world.platform = await refusingWithdrawals(world.sandbox.url, opts.refusal, opts.refusing);
  });
  afterAll(async () => {
    expect(world.github?.violations).toEqual([]);
    await world.platform?.close();
    await world.sandbox?.close();
    await world.github?.close();
  });
  return world;
}
