import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// A threshold gate on checkout's service-wide 5xx rate is a valid safeguard, but a 1% canary
// failing half its requests moves that rate by 0.5 points: validate, plan and run say so, once per
// such gate, naming the field and the fix, and still exit 0. A per-arm gate gets no warning.
const CONFIG = `version: 1
models:
  checkout:
    source: { file: models/checkout.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:9" }
    metrics: { type: prometheus, url: "http://127.0.0.1:9" }
    strategy: { type: canary, steps: [1, 10] }
    gates:
      - name: service-5xx
        kind: threshold
        query: 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{service="checkout"}[{{window}}]))'
        max: 0.02
      - name: candidate-5xx
        kind: threshold
        query: 'sum(rate(http_requests_total{slot="{{slot}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{slot="{{slot}}"}[{{window}}]))'
        max: 0.02
`;
const WARNING =
  /^warning: \.github\/model-gate\.yml: models\.checkout\.gates\[0\]\.query: reads one service-wide series for both arms, .*a small canary barely moves a service-wide rate.*; to compare the arms, add \{\{slot\}\} or \{\{version\}\} with a label matcher such as slot="\{\{slot\}\}"/;

let repo: GitRepo;

beforeAll(async () => {
  repo = await GitRepo.create();
  await repo.commit({ '.github/model-gate.yml': CONFIG, 'models/checkout.yaml': 'version: 1.0.0\n' }, 'base');
  repo.git('switch', '-q', '-c', 'feature');
  await writeFile(join(repo.dir, 'models/checkout.yaml'), 'version: 1.1.0\n');
});

describe('a gate reading the whole service, on the command line', () => {
  it('validate: valid (exit 0), with one warning line naming the whole-service gate and none for the per-arm one', async () => {
    const run = await runCli(repo.dir, ['validate', '.github/model-gate.yml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('✓ .github/model-gate.yml: 1 model (checkout)\n');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(WARNING);
  });

  it('plan: the same warning on stderr for a model it would release; --json stays one JSON document', async () => {
    const run = await runCli(repo.dir, ['plan']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^checkout 1\.0\.0 → 1\.1\.0: canary on sandbox$/m);
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(WARNING)]);

    const json = await runCli(repo.dir, ['plan', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).matrix).toEqual({ include: [{ model: 'checkout' }] });
    expect(json.stderr).toMatch(WARNING);
  });

  it('run: the same warning on stderr, once, above the report of the release it runs', async () => {
    // The same config with a live sandbox to read (a dry run reads what serves; it changes nothing).
    const modelsDir = join(repo.dir, 'sandbox-models');
    await mkdir(join(modelsDir, 'checkout'), { recursive: true });
    for (const version of ['1.0.0', '1.1.0']) {
      const artifact = JSON.parse(await readFile(join(demoModelsDir, 'fraud-detector', 'v1.json'), 'utf8'));
      await writeFile(
        join(modelsDir, 'checkout', `${version}.json`),
        JSON.stringify({ ...artifact, version }),
      );
    }
    const sandbox = await startSandbox({ modelsDir, endpoints: [{ model: 'checkout', stable: '1.0.0' }] });
    try {
      await writeFile(join(repo.dir, 'run.yml'), CONFIG.replace('http://127.0.0.1:9"', `${sandbox.url}"`));
      const run = await runCli(repo.dir, [
        'run',
        'release',
        '--dry-run',
        '--config',
        'run.yml',
        '--ledger',
        'ledger.json',
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/checkout/);
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        // A dry run reads the ledger only: a new one is no ledger of its releases.
        'warning: ledger ledger.json does not exist: nothing is recorded there; check --ledger',
        expect.stringMatching(WARNING.source.replace('\\.github\\/model-gate\\.yml', 'run\\.yml')),
      ]);
    } finally {
      await sandbox.close();
    }
  });
});
