import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MODEL, runOnPullRequest, sentToGitHub } from './secret-world.js';

// A command target calls its serving gateway as curl is called: `-H "Authorization: Bearer
// ${SERVING_JWT}"` and `-u deploy:${DB_PW}`, from variables whose names do not look secret. The
// gateway refuses the traffic change and the command echoes its request (as `curl -v` does): the
// token and the password reached the log, the PR comment, the ledger, the outputs and the summary.

const JWT = 'eyJhbGciOiJIUzI1NiJ9.jwtPAYLOAD.sig123456';
const PASSWORD = 'dbPASSWORDvalue555';

let github: FakeGitHub;
let metrics: Sandbox;
let deploy: string;
beforeAll(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  metrics = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  deploy = join(await mkdtemp(join(tmpdir(), 'model-gate-curl-')), 'deploy.mjs');
  // Reads the stable version; refuses every change, echoing the header and the user it was given.
  await writeFile(
    deploy,
    `const a = process.argv.slice(2);
if (a[0] === 'read') { console.log(JSON.stringify({ stable: { version: 'v1' } })); process.exit(0); }
process.stderr.write('error: 401 from gateway\\n> ' + a[a.indexOf('-H') + 1] + '\\n> user ' + a[a.indexOf('-u') + 1] + '\\n');
process.exit(1);
`,
  );
});
afterAll(async () => {
  await metrics?.close();
  await github?.close();
});

const config = () => `version: 1
models:
  ${MODEL}:
    source: { file: models/fraud.yaml, key: version }
    target:
      type: command
      apply: [${JSON.stringify(process.execPath)}, ${JSON.stringify(deploy)}, apply, "{{candidate}}", "{{weight}}", -H, "Authorization: Bearer \${SERVING_JWT}", -u, "deploy:\${DB_PW}"]
      read: [${JSON.stringify(process.execPath)}, ${JSON.stringify(deploy)}, read]
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

describe("a bearer token and a password in curl's -H and -u arguments of a command target", () => {
  it('show *** in the log, the PR comment, the ledger, the outputs and the summary when the command echoes them', async () => {
    const run = await runOnPullRequest(github, 7, config(), {
      SERVING_JWT: JWT,
      DB_PW: PASSWORD,
      SANDBOX_URL: metrics.url,
    });
    const shown = {
      log: run.log,
      comment: run.comment,
      ledger: sentToGitHub(github),
      models: run.outputs.models ?? '',
      summary: run.summary,
    };
    // The refusal still says what the gateway was given, its secrets masked.
    const refusal = 'error: 401 from gateway | > Authorization: *** | > user deploy:***';
    expect(shown.models).toContain(refusal);
    expect(run.comment.replaceAll('\\', '')).toContain(refusal);
    for (const [where, text] of Object.entries(shown)) {
      expect(text, where).not.toContain(JWT);
      expect(text, where).not.toContain(PASSWORD);
    }
  });
});
