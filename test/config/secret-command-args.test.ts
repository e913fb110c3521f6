import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { secretValues } from '../../src/config/secret-values.js';
import { addSecret } from '../../src/core/redact.js';
import { argumentsIdentity } from '../../src/targets/identity.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFakeGitHub } from '../support/fake-github/server.js';
import { runMainStep } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// A command target's arguments are never shown by model-gate, but the command's own stderr is,
// in the error that reaches the PR comment, the commit status and the `models` output. A secret
// in an argument was masked only when its variable's name looked secret: `--db=${DATABASE_URL}`
// or `--pw=…` reached them as written.

const PASSWORD = 'Hunter2Secret';
const DATABASE_URL = `postgres://deploy:${PASSWORD}@db.internal/models`;

/** A command target's `apply` with `args` (YAML strings) before its placeholders. */
const withApply = (...args: string[]) => `version: 1
models:
  scoring:
    source: { file: models/scoring.yaml, key: version }
    target: { type: command, apply: [deploy, ${args.join(', ')}, "{{candidate}}"], read: [state] }
    metrics: { type: sandbox, url: "http://127.0.0.1:9" }
    strategy: { type: canary, steps: [50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

const masking = (arg: string, env: Record<string, string>) =>
  secretValues(parseConfig(withApply(arg), env).interpolated, env);

describe("a secret in a command's argument, whatever its variable is called", () => {
  it("is masked as a URL's password after the option's `=`, not the whole URL", () => {
    expect(masking(`"--db=\${DATABASE_URL}"`, { DATABASE_URL })).toEqual({
      // The password, and the `Authorization: Basic` a client may send and quote.
      values: [PASSWORD, Buffer.from(`deploy:${PASSWORD}`).toString('base64')],
      tooShort: [],
    });
    expect(
      masking(`"--db=postgres://deploy:\${DB_PW}@db.internal/models"`, { DB_PW: PASSWORD }).values,
    ).toContain(PASSWORD);
    expect(
      masking(`"--serving=\${SERVING}"`, { SERVING: 'https://svc.example/?sig=abcdEFGH1234' }).values,
    ).toEqual(['abcdEFGH1234']);
  });

  it('is masked as the value of an option named like a secret', () => {
    expect(masking(`"--password=\${DB_PW}"`, { DB_PW: PASSWORD }).values).toEqual([PASSWORD]);
    expect(masking(`"--token=Bearer \${API}"`, { API: 'abcd-0123' }).values.sort()).toEqual([
      'Bearer abcd-0123',
      'abcd-0123',
    ]);
  });

  it('is masked as the argument after an option named like a secret', () => {
    const env = { DB_PW: PASSWORD };
    for (const option of ['--password', '--token', '-auth-key'])
      expect(masking(`${option}, "\${DB_PW}"`, env).values).toEqual([PASSWORD]);
    expect(masking(`--region, "\${DB_PW}"`, env).values).toEqual([]);
  });

  it('is named in a warning when too short to mask, and an ordinary option is neither masked nor warned about', () => {
    expect(masking(`"--password=\${PIN}"`, { PIN: '123' })).toEqual({
      values: [],
      tooShort: [{ variable: 'PIN', path: 'models.scoring.target.apply[1]' }],
    });
    expect(masking(`"--region=\${REGION}"`, { REGION: 'eu-west-1' })).toEqual({ values: [], tooShort: [] });
    expect(masking(`"--replicas=\${N}"`, { N: '1' })).toEqual({ values: [], tooShort: [] });
  });

  it('is not the argument after a switch that turns a secret off (--skip-auth, --no-auth, --disable-token-check)', () => {
    const env = { ENDPOINT: 'scoring-prod' };
    for (const flag of ['--skip-auth', '--no-auth', '--disable-token-check'])
      expect(masking(`${flag}, "\${ENDPOINT}"`, env)).toEqual({ values: [], tooShort: [] });
    // Nor is its value after `=`: `true` would read *** in every message.
    expect(masking(`"--no-auth=true"`, {}).values).toEqual([]);
    // The endpoint after it tells production from staging in the target's identity.
    expect(argumentsIdentity(['deploy', '--skip-auth', 'scoring-prod'])).not.toBe(
      argumentsIdentity(['deploy', '--skip-auth', 'scoring-staging']),
    );
  });

  it('is masked as the value of an environment assignment named like a secret (env PGPASSWORD=…)', () => {
    expect(masking(`"PGPASSWORD=\${PW}"`, { PW: PASSWORD }).values).toEqual([PASSWORD]);
    expect(masking(`"PGHOST=\${HOST}"`, { HOST: 'db.internal' }).values).toEqual([]);
  });

  it("leaves the database's host in the target's identity: a move to another database is still one", () => {
    const staging = 'postgres://deploy:Staging5ecret@db.staging/models';
    for (const url of [DATABASE_URL, staging])
      for (const value of masking(`"--db=\${DATABASE_URL}"`, { DATABASE_URL: url }).values) addSecret(value);
    expect(argumentsIdentity(['deploy', `--db=${DATABASE_URL}`])).not.toBe(
      argumentsIdentity(['deploy', `--db=${staging}`]),
    );
    // A rotated password is no move.
    expect(argumentsIdentity(['deploy', `--db=${DATABASE_URL}`])).toBe(
      argumentsIdentity(['deploy', `--db=${DATABASE_URL.replace(PASSWORD, 'Staging5ecret')}`]),
    );
  });
});

describe("curl's -H and -u in a command's argument, whatever the variable is called", () => {
  const JWT = 'eyJhbGciOiJIUzI1NiJ9.jwtPAYLOAD.sig123456';
  const basic = (text: string) => Buffer.from(text).toString('base64');

  it('masks a header named like a secret whole and its token bare, as its own argument or after --header=', () => {
    for (const arg of [
      `-H, "Authorization: Bearer \${SERVING_JWT}"`,
      `"--header=Authorization: Bearer \${SERVING_JWT}"`,
    ])
      expect(masking(arg, { SERVING_JWT: JWT }).values.sort()).toEqual([`Bearer ${JWT}`, JWT]);
    expect(masking(`-H, "X-Api-Key: \${OPENAI}"`, { OPENAI: 'sk-proj-0123' }).values).toEqual([
      'sk-proj-0123',
    ]);
    // `Basic` carries the base64 `user:password` a service may quote bare.
    const b64 = basic(`deploy:${PASSWORD}`);
    expect(masking(`-H, "Authorization: Basic \${CREDS_B64}"`, { CREDS_B64: b64 }).values.sort()).toEqual([
      `Basic ${b64}`,
      b64,
    ]);
  });

  it("masks -u's password and the Authorization: Basic curl sends, not the user name", () => {
    for (const arg of [`-u, "deploy:\${DB_PW}"`, `--user, "deploy:\${DB_PW}"`, `"--user=deploy:\${DB_PW}"`])
      expect(masking(arg, { DB_PW: PASSWORD }).values).toEqual([PASSWORD, basic(`deploy:${PASSWORD}`)]);
    expect(masking(`-u, "deploy:\${PIN}"`, { PIN: '123' })).toEqual({
      values: [],
      tooShort: [{ variable: 'PIN', path: 'models.scoring.target.apply[2]' }],
    });
  });

  it('masks a variable named like a JWT, a password or a personal access token wherever it is', () => {
    const env = { SERVING_JWT: JWT, DB_PWD: PASSWORD, GITLAB_PAT: 'glpat-0123456789' };
    expect(masking(`"\${SERVING_JWT}", "\${DB_PWD}", "\${GITLAB_PAT}"`, env).values.sort()).toEqual(
      [PASSWORD, JWT, 'glpat-0123456789'].sort(),
    );
  });

  it('leaves ordinary arguments alone: other headers, a docker user and group, the working directory, model names', () => {
    const env = {
      MODEL: 'fraud-detector-v2',
      UID: '1001',
      GID: '1001',
      PWD: '/home/runner/work/models',
      COMPAT: 'legacy-v1',
      WEIGHT: '0.25',
    };
    const args = [
      `-H, "X-Model: \${MODEL}"`,
      `"model_key: \${MODEL}"`,
      `-u, "\${UID}:\${GID}"`,
      `"\${PWD}/deploy.sh"`,
      `"--compat=\${COMPAT}"`,
      `"--weight=\${WEIGHT}"`,
    ];
    expect(masking(args.join(', '), env)).toEqual({ values: [], tooShort: [] });
  });
});

describe('a failing command that prints its --db= argument, run by the action', () => {
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  });
  afterAll(async () => {
    await github?.close();
  });

  it("shows *** for the database's password in the step's error and outputs, and has the runner mask it", async () => {
    const node = JSON.stringify(process.execPath);
    const echo = JSON.stringify(
      "const a = process.argv.find((x) => x.startsWith('--db=')); console.error('error: could not connect with ' + a); process.exit(1)",
    );
    const config = withApply('x').replace(
      'apply: [deploy, x, "{{candidate}}"], read: [state]',
      `apply: [${node}, -e, ${echo}, --, "--db=\${DATABASE_URL}", "{{candidate}}"], read: [${node}, -e, ${echo}, --, "--db=\${DATABASE_URL}"]`,
    );
    const inputs = { command: 'rollback', model: 'scoring', 'to-version': 'v1' };
    const run = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent(inputs),
      inputs,
      config,
      githubUrl: github.url,
      env: { DATABASE_URL },
    });
    expect(run.error).toContain(
      'error: could not connect with --db=postgres://deploy:***@db.internal/models',
    );
    expect(run.outputs.decision).toBe('error');
    expect(`${run.error}${JSON.stringify(run.outputs)}${run.report}`).not.toContain(PASSWORD);
    expect(run.log).toContain(`::add-mask::${PASSWORD}`);
  });
});
