import { describe, expect, it } from 'vitest';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { gitFileReader } from '../../src/version/changed-models.js';
import { fraudPr } from '../support/fraud-pr.js';
import { GitRepo } from '../support/git-repo.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// An offline gate judges the PR's own evaluation. A PR that moves the version but leaves the
// evaluation file as the base branch has it would otherwise pass on the serving model's score.
const YAML = FRAUD_CANARY_YAML.replace(
  '    gates:\n',
  '    gates:\n      - { name: auc, kind: offline, file: models/fraud/eval.json, key: auc, min: 0.9 }\n',
);
const EVAL = 'models/fraud/eval.json';

/** PR #7 from a base commit with `base` files to a head commit with `head` files, in a real git repository. */
async function openPr(base: Record<string, string>, head: Record<string, string>) {
  const repo = await GitRepo.create();
  const baseSha = await repo.commit({ 'fraud.yaml': 'version: v1\n', ...base }, 'base');
  const headSha = await repo.commit({ 'fraud.yaml': 'version: v2\n', ...head }, 'the PR');
  const { config, ports, target } = await fraudPr({ yaml: YAML });
  ports.reader = gitFileReader(repo.dir);
  const event: PullRequestEvent = { action: 'opened', number: 7, baseSha, headSha, merged: false };
  const result = await handlePullRequest(config, event, ports, {
    mode: 'tick',
    maxWaitMs: 60_000,
    dryRun: false,
  });
  const release = result.releases[0];
  return { release, auc: release?.gates.find((g) => g.name === 'auc'), target };
}

describe('an offline gate', () => {
  it("fails, deploying nothing, on an evaluation file the PR left as the base branch's", async () => {
    const { release, auc, target } = await openPr({ [EVAL]: '{"auc":0.95}\n' }, {});
    const note = `${EVAL} is unchanged from the base branch, so its auc is not this PR's evaluation: commit the evaluation of v2`;
    expect(release).toMatchObject({ status: 'failed', reason: `not deployed: auc: ${note}` });
    expect(auc?.last?.note).toBe(note);
    expect(target.writes).toEqual([]);
  });

  it("passes on the PR's own evaluation, the candidate deployed", async () => {
    const { release, auc, target } = await openPr({ [EVAL]: '{"auc":0.95}\n' }, { [EVAL]: '{"auc":0.93}\n' });
    expect(auc).toMatchObject({ verdict: 'pass', last: { canary: 0.93 } });
    expect(release?.status).toBe('analysing');
    expect(target.writes[0]?.canary?.version).toBe('v2');
  });

  it('passes on an evaluation file the PR adds (absent at base)', async () => {
    const { release, auc } = await openPr({}, { [EVAL]: '{"auc":0.95}\n' });
    expect(auc).toMatchObject({ verdict: 'pass', last: { canary: 0.95 } });
    expect(release?.status).toBe('analysing');
  });
});
