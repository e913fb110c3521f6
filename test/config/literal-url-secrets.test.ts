import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// SPEC 2: secrets come from the environment, never from the file. A URL's password written in
// the file was refused; a token standing for its user name, or a secret-named query parameter
// (`?api_key=…`, a signed URL's `sig`), was accepted and then never masked.

const F = '.github/model-gate.yml';
const FROM_ENV = '(secrets come from the environment, never from the file)';
/** fraud with its metrics at `url`, and a webhook gate at `hook`. */
const config = (url: string, hook = 'https://hooks.example/check') => `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:8080" }
    strategy: { type: canary, steps: [10, 50] }
    metrics: { type: prometheus, url: "${url}" }
    gates:
      - { name: approval, kind: webhook, url: "${hook}" }
`;

describe('a secret written in a URL in the file', () => {
  it('is refused as a token standing for the user name, naming the field and what to write', () => {
    const problems = problemsOf(config('https://glpatABCDEF123456@prom.example'));
    expect(problems).toEqual([
      `${F}:7:39: models.fraud.metrics.url: the URL holds a token written in the file as its user name; write it as \${URL_TOKEN}@ and set URL_TOKEN from a secret ${FROM_ENV}`,
    ]);
    expect(problems.join('\n')).not.toContain('glpatABCDEF123456');
  });

  it("is refused as a secret-named query parameter's value, the parameter named, the value never shown", () => {
    const problems = problemsOf(
      config(
        'https://prom.example/api?tenant=acme&api_key=abcdef123456',
        'https://fn.example/check?sig=sig0123456',
      ),
    );
    expect(problems).toEqual([
      `${F}:7:39: models.fraud.metrics.url: the URL's api_key parameter holds a secret written in the file; write it as api_key=\${API_KEY} and set API_KEY from a secret ${FROM_ENV}`,
      `${F}:9:47: models.fraud.gates[0].url: the URL's sig parameter holds a secret written in the file; write it as sig=\${SIG} and set SIG from a secret ${FROM_ENV}`,
    ]);
    expect(problems.join('\n')).not.toMatch(/abcdef123456|sig0123456/);
  });

  it('is refused in a command argument too', () => {
    const text = config('http://prom.example').replace(
      'target: { type: sandbox, url: "http://127.0.0.1:8080" }',
      'target: { type: command, apply: [deploy, "https://deploy.example/?token=t0k3n-0123", "{{candidate}}"], read: [state] }',
    );
    expect(problemsOf(text)).toEqual([
      `${F}:5:46: models.fraud.target.apply[1]: the URL's token parameter holds a secret written in the file; write it as token=\${TOKEN} and set TOKEN from a secret ${FROM_ENV}`,
    ]);
  });

  it('is refused as an API key standing for the user name before an empty password', () => {
    const problems = problemsOf(config('https://sk_live_0123456789:@prom.example'));
    expect(problems).toEqual([
      `${F}:7:39: models.fraud.metrics.url: the URL holds a token written in the file as its user name; write it as \${URL_TOKEN}@ and set URL_TOKEN from a secret ${FROM_ENV}`,
    ]);
    expect(problems.join('\n')).not.toContain('sk_live_0123456789');
  });

  it("is refused as a pwd parameter's value, suggesting a variable that is no shell's directory", () => {
    expect(problemsOf(config('https://prom.example/api?user=ro&pwd=abcd1234'))).toEqual([
      `${F}:7:39: models.fraud.metrics.url: the URL's pwd parameter holds a secret written in the file; write it as pwd=\${URL_PASSWORD} and set URL_PASSWORD from a secret ${FROM_ENV}`,
    ]);
  });

  it('is refused in a command argument after its first `=`, or as the value of an option or variable named for a credential', () => {
    const withArgs = (...args: string[]) =>
      config('http://prom.example').replace(
        'target: { type: sandbox, url: "http://127.0.0.1:8080" }',
        `target: { type: command, apply: [deploy, ${args.map((a) => JSON.stringify(a)).join(', ')}, "{{candidate}}"], read: [state] }`,
      );
    const problems = problemsOf(
      withArgs(
        '--db=postgres://deploy:hunter22@db/x',
        'DATABASE_URL=postgres://deploy:hunter22@db/x',
        '--url=https://h.example/x?api_key=abcd1234',
        '--password=hunter22',
        'PGPASSWORD=hunter22',
      ),
    ).map((p) => p.replace(/^[^ ]+ /, ''));
    expect(problems).toEqual([
      `models.fraud.target.apply[1]: the URL holds a password written in the file; write it as user:\${URL_PASSWORD}@ and set URL_PASSWORD from a secret ${FROM_ENV}`,
      `models.fraud.target.apply[2]: the URL holds a password written in the file; write it as user:\${URL_PASSWORD}@ and set URL_PASSWORD from a secret ${FROM_ENV}`,
      `models.fraud.target.apply[3]: the URL's api_key parameter holds a secret written in the file; write it as api_key=\${API_KEY} and set API_KEY from a secret ${FROM_ENV}`,
      `models.fraud.target.apply[4]: the --password option holds a secret written in the file; write --password=\${PASSWORD} and set PASSWORD from a secret ${FROM_ENV}`,
      `models.fraud.target.apply[5]: the variable PGPASSWORD holds a secret written in the file; write PGPASSWORD=\${PGPASSWORD} and set PGPASSWORD from a secret ${FROM_ENV}`,
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter22|abcd1234/);
    // Options and variables only named near a secret are no credential: the config loads.
    const ordinary = withArgs(
      '--key-file=/etc/tls/key.pem',
      '--auth-mode=iam',
      'TOKENIZER=bert-base',
      '--max-tokens=512',
      '--secret=id=npmrc,src=.npmrc',
      'PWD=/srv/models',
      '--no-password=true',
      `--password=\${DB_PW}`,
    );
    expect(() => parseConfig(ordinary, { DB_PW: 'hunter22' })).not.toThrow();
  });

  it(`is accepted from \${NAME}, and a URL with no secret in it as written`, () => {
    const env = { PROM_TOKEN: 'glpat-0123456789', API_KEY: 'abcdef123456' };
    expect(() =>
      parseConfig(config(`https://\${PROM_TOKEN}@prom.example/api?api_key=\${API_KEY}`), env),
    ).not.toThrow();
    expect(() => parseConfig(config('https://prom.example/api?tenant=acme&region=eu'), env)).not.toThrow();
    // An ssh or git URL's user name is a login, its key authenticates: no secret.
    const clone = config('http://prom.example').replace(
      'target: { type: sandbox, url: "http://127.0.0.1:8080" }',
      'target: { type: command, apply: [git, clone, "ssh://git@git.example/models.git"], read: [state] }',
    );
    expect(() => parseConfig(clone, env)).not.toThrow();
  });

  it('is told by the whole parameter name, and a template in its value is no secret: such URLs load as before', () => {
    // An http-json gate's own endpoint: `model_key` names a model, `keyword` a search, `{{…}}` is filled in per look.
    const text = config('https://metrics.internal/api?keyword=fraud&slot={{slot}}')
      .replace('type: prometheus', 'type: http-json')
      .replace(
        '- { name: approval, kind: webhook, url: "https://hooks.example/check" }',
        '- { name: drift, kind: threshold, query: "https://metrics.internal/series?model_key={{model}}&slot={{slot}}&token={{version}}#value", max: 0.2 }',
      );
    expect(() => parseConfig(text, {})).not.toThrow();
    // The names services give their keys, in any case, are refused as before.
    for (const param of ['API-Key', 'apikey', 'access_token', 'X-Amz-Signature', 'client_secret'])
      expect(problemsOf(config(`https://prom.example/api?${param}=abcdef123456`))).toEqual([
        expect.stringContaining(`the URL's ${param} parameter holds a secret written in the file`),
      ]);
  });
});
