import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';
import { fraudCanaryConfig, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// PR #7 moves fraud-detector from v1 to v2 while ranker's source.file is mistyped
// (models/rankr.yaml): no change of ranker is ever gated. The action warned of such a path only
// when nothing released, so here it said nothing, and a plan's matrix gives ranker no job to say
// it. Now the release run and the plan warn, in the CLI's words, and fraud-detector still releases.
// Main step from src/, against the sandbox and the GitHub stand-in; the CLI on a real git repo.
const RANKER_TYPO = `  ranker:
    source: { file: models/rankr.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates: []
`;
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
  RANKER_TYPO,
);
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 3 });
const opened = () => pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 });

/** The warning, after the config's path as the action's `config` input names it. */
const WARNED =
  /^::warning::\S+model-gate\.yml: models\.ranker\.source\.file: "models\/rankr\.yaml" is in neither the base \(aaaaaaa\) nor the head \(aaaaaaa\): no version change of ranker is gated until the path is fixed or the file added$/m;

describe('a mistyped source.file beside a model that releases', () => {
  it('the release run warns of it, and fraud-detector is released all the same', async () => {
    const run = await world.step('pull_request', opened(), { mode: 'tick' });
    expect(run.error).toBeUndefined();
    expect(run.log).toMatch(WARNED);
    expect(run.log.match(/models\.ranker\.source\.file/g)).toHaveLength(1);
    expect(run.outputs.decision).toBe('analysing');
    expect(JSON.parse(run.outputs.models ?? '[]')).toMatchObject([
      { model: 'fraud-detector', to: 'v2', status: 'analysing' },
    ]);
    expect(await fraudServing(world.sandbox)).toMatchObject({ canary: { version: 'v2', weight: 10 } });
  }, 60_000);

  it('command: plan gives fraud-detector its job and warns of ranker, in the log and the report', async () => {
    const run = await world.step('pull_request', opened(), { command: 'plan' });
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.outputs.matrix ?? '{}')).toMatchObject({ include: [{ model: 'fraud-detector' }] });
    expect(run.log).toMatch(WARNED);
    expect(run.report).toContain('1 model, one job each');
    expect(run.report).toMatch(
      /\n- \S+model-gate\.yml: models\.ranker\.source\.file: "models\/rankr\.yaml" is in neither/,
    );
  });
});

describe('model-gate plan, the same mistake beside a change', () => {
  it('lists the change and warns of the mistyped path', async () => {
    const repo = await GitRepo.create();
    await repo.commit({
      '.github/model-gate.yml': CONFIG,
      'models/fraud.yaml': 'version: v1\n',
      'models/ranker.yaml': 'version: r1\n',
    });
    repo.git('switch', '-q', '-c', 'feature');
    await repo.commit({ 'models/fraud.yaml': 'version: v2\n' }, 'fraud v2');
    const run = await runCli(repo.dir, ['plan', '--head', 'feature'], { SANDBOX_URL: 'http://127.0.0.1:9' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^1 of 2 models changes from /);
    expect(run.stderr).toMatch(
      /^warning: \.github\/model-gate\.yml: models\.ranker\.source\.file: "models\/rankr\.yaml" is in neither the base \(\w{7}\) nor the head \(\w{7}\): no version change of ranker is gated/,
    );
  });
});
