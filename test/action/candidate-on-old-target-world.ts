import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, type MainStepRun, runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';

export const FILE = 'models/fraud.yaml';
export const MODEL = 'fraud-detector';

/**
 * fraud-detector on the sandbox at `url` (target and metrics), a canary (10%, 50%) 250ms apart judged
 * by its error rate: the URL is written out, not interpolated, so two URLs of one sandbox (or two
 * sandboxes) are two targets, as a release records them.
 */
export const fraudCanaryAt = (url: string) =>
  fraudCanaryConfig('{ type: canary, steps: [10, 50], interval: 250ms }').replaceAll(`\${SANDBOX_URL}`, url);

/** The main step under fraudCanaryAt(url), the stand-in as GitHub, at sha(1), GitHub waits scaled down. */
export const mainStepUnder = (
  url: string,
  github: FakeGitHub,
  run: { eventName: string; event: unknown; inputs: Record<string, string> },
): Promise<MainStepRun> =>
  runMainStep({
    ...run,
    config: fraudCanaryAt(url),
    githubUrl: github.url,
    env: { GITHUB_SHA: sha(1), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.01' },
  });
