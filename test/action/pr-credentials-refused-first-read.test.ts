import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { useStandins } from '../support/standin-server.js';
import { ISVC, servingV1 } from '../targets/kserve-cluster.js';

// A PR's first job on KServe whose kubectl gets no token (`aws eks get-token` failing: an expired
// login) stopped at its first read of what serves, before anything was recorded: "Stopped on an
// error" in the job summary, and no word on the PR. Its comment now says the candidate was not
// deployed, got no traffic, and that the platform refused the job's credentials; the commit
// status says the same; a re-run once they are fixed analyses the same head. Main step from src/,
// kubectl the stand-in, the ledger the PR's comment on the GitHub stand-in.

const standins = useStandins('kubectl', () => servingV1());
let github: FakeGitHub;

const CONFIG = `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: kserve, namespace: ml, storage-uri: "gs://models/{{model}}/{{version}}" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const EKS_TOKEN_FAILED =
  'Unable to connect to the server: getting credentials: exec: executable aws failed with exit code 255';

beforeAll(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v1\n');
  github.setFile(sha(2), 'models/fraud.yaml', 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

const openedPr7 = () =>
  runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    inputs: { ledger: 'github', 'max-wait': '1m' },
    config: CONFIG,
    githubUrl: github.url,
    env: {
      MODEL_GATE_STANDIN_STATE: standins.statePath,
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
    },
  });

it("a PR's first job whose kubectl gets no token: its comment says not deployed, the credentials refused", async () => {
  await standins.fault({ cli: 'kubectl', op: '*', kind: 'fail', times: -1, message: EKS_TOKEN_FAILED });
  const run = await openedPr7();
  expect(run.outputs.decision).toBe('error');
  expect(run.exitCode).toBe(1);
  // The comment's Markdown escapes the command's backquotes.
  const body = (github.comments(7).at(-1)?.body ?? '').replaceAll('\\`', '`');
  expect(body).toContain(
    "🔌 Not deployed: the platform refused model-gate's credentials, or has nothing at the target's URL or names",
  );
  expect(body).toContain(
    "fraud v2 was not deployed and got no traffic: the platform refused model-gate's first read of what fraud serves: `kubectl get",
  );
  expect(body).toContain(
    `${EKS_TOKEN_FAILED}; check the credentials \`kubectl\` runs with in the job: expired, or without the permission; a re-run gets the same answer: fix the credentials`,
  );
  expect(body).not.toMatch(/rolled back/i);
  const [status] = github.commitStatuses(sha(2)).filter((s) => s.context === 'model-gate/fraud');
  expect(status?.state).toBe('failure');
  expect(status?.description).toMatch(/^v2 was not deployed and got no traffic: the platform refused/);
  // Nothing was changed on the cluster: every call failed before it reached it.
  expect((await standins.state()).k8s[ISVC]['ml/fraud'].spec.predictor.canaryTrafficPercent).toBeUndefined();

  // The credentials fixed, a re-run of the same job analyses the same head: no failed verdict holds it.
  await standins.seed(servingV1());
  const again = await openedPr7();
  expect(again.log).toContain('fraud: its first read was refused: analysing v2');
  expect(github.comments(7).at(-1)?.body ?? '').not.toContain('already failed its analysis');
}, 60_000);
