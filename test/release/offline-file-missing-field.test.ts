import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { fraudPr } from '../support/fraud-pr.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// A pre-deploy gate whose evaluation file is not in the PR's head: a typo in the config's path and
// an evaluation nobody committed look alike, so the release names the config field to fix.

describe('a pre-deploy gate whose file is not in the PR', () => {
  it('fails the release naming the gate’s config field, and deploys nothing', async () => {
    const yaml = FRAUD_CANARY_YAML.replace(
      '    gates:\n',
      '    gates:\n      - { name: auc, kind: offline, file: evals.json, key: auc, min: 0.9 }\n',
    );
    const { config, ports, target, event } = await fraudPr({
      yaml,
      headFiles: { 'eval.json': '{"auc": 0.95}' },
    });
    const result = await handlePullRequest(config, event('opened'), ports, {
      mode: 'tick',
      maxWaitMs: 0,
      dryRun: false,
    });
    expect(result.releases).toMatchObject([{ status: 'failed' }]);
    expect(result.releases[0]?.reason).toContain(
      "auc: models.fraud.gates[0].file: evals.json does not exist in the PR's head",
    );
    expect(result.releases[0]?.reason).toContain('fix the path or commit the evaluation');
    expect(target.writes).toEqual([]);
  });
});
