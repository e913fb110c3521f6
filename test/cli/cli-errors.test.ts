import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Command, main } from '../../src/cli/main.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// Bad input on the command line gets one line that names the file or value and what to do, exit
// code 1, never a stack trace; a bug gets one line to report. In-process through main() (one
// real process checks what reaches stderr), in a real repository, against a real sandbox.
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud-detector:
    source: { file: models/fraud-detector/model.yaml, key: version }
    strategy: { type: canary, steps: [50] }
    gates: []
  ranker:
    source: { file: models/ranker/model.yaml, key: version }
    strategy: { type: canary, steps: [50] }
    gates: []
`;
const REPORT = 'please report it with the command you ran';

let sandbox: Sandbox;
let repo: GitRepo;
let scratch: string;

/** `model-gate <args>` run by main() in `cwd`: what it printed and its exit code. */
async function cli(cwd: string, args: string[], commands?: Record<string, Command>) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void stdout.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void stderr.push(a.join(' ')));
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, commands);
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  } finally {
    process.chdir(before);
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
  });
  vi.stubEnv('SANDBOX_URL', sandbox.url);
  repo = await GitRepo.create();
  await repo.commit(
    { '.github/model-gate.yml': CONFIG, 'models/fraud-detector/model.yaml': 'version: v1\n' },
    'v1',
  );
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-cli-errors-'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await sandbox?.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.stubEnv('SANDBOX_URL', sandbox.url);
});

describe('an internal error (a bug)', () => {
  const bug: Record<string, Command> = {
    boom: async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'fraud-detector')");
    },
  };

  it('prints one line to report, exit code 70 (not 1, a failed release), no stack trace', async () => {
    const run = await cli(scratch, ['boom'], bug);
    expect(run.stderr).toBe(
      `model-gate stopped on an unexpected error in "model-gate boom": Cannot read properties of undefined (reading 'fraud-detector'); ${REPORT}`,
    );
    expect(run.code).toBe(70);
  });

  it('adds the stack trace with MODEL_GATE_DEBUG=1', async () => {
    vi.stubEnv('MODEL_GATE_DEBUG', '1');
    const run = await cli(scratch, ['boom'], bug);
    const [line, ...stack] = run.stderr.split('\n');
    expect(line).toMatch(
      /^model-gate stopped on an unexpected error in "model-gate boom": .*; please report it/,
    );
    expect(stack[0]).toBe("TypeError: Cannot read properties of undefined (reading 'fraud-detector')");
    expect(stack[1]).toMatch(/^ {4}at /);
    expect(run.code).toBe(70);
  });

  it('says so in --help', async () => {
    expect((await cli(scratch, ['--help'])).stdout).toMatch(/internal error[\s\S]*MODEL_GATE_DEBUG=1/);
  });
});

describe('a ledger file model-gate cannot use', () => {
  const status = async (ledger: string, text?: string) => {
    if (text !== undefined) await writeFile(join(repo.dir, ledger), text);
    return cli(repo.dir, ['run', 'status', '--ledger', ledger]);
  };

  it('is named with what is wrong in it, one line, exit code 1', async () => {
    const notJson = await status('bad.json', '{bad');
    expect(notJson.stderr).toMatch(
      /^model-gate run: the ledger bad\.json is not valid JSON \(.+\): fix it, or restore it if it held releases: deleting it starts an empty ledger, which forgets any candidate in flight while it may still get live traffic$/,
    );
    expect(notJson.code).toBe(1);

    const release = { model: 'fraud-detector', from: 'v1', to: '$(id)', headSha: 'HEAD', status: 'ready' };
    const edited = await status(
      'edited.json',
      JSON.stringify({ version: 1, releases: { 'fraud-detector': release } }),
    );
    expect(edited.stderr).toMatch(
      /^model-gate run: the ledger edited\.json is not one model-gate wrote \(releases\.fraud-detector\.to: "\$\(id\)" .*; releases\.fraud-detector\.headSha: expected a commit SHA or ":working-tree", got "HEAD"; .*\(and \d+ more\)\): fix it, or restore it if it held releases: deleting it starts an empty ledger, which forgets any candidate in flight while it may still get live traffic$/,
    );
    expect(edited.code).toBe(1);

    await mkdir(join(repo.dir, 'ledger-dir'));
    const directory = await status('ledger-dir');
    expect(directory.stderr).toBe(
      'model-gate run: the ledger ledger-dir is a directory: give the path of a file',
    );
    expect(directory.code).toBe(1);
  });

  it('that is not an object reaches stderr as one line, not a TypeError and its stack', async () => {
    await writeFile(join(repo.dir, 'list.json'), '[]\n');
    const run = await runCli(repo.dir, ['run', 'status', '--ledger', 'list.json'], {
      SANDBOX_URL: sandbox.url,
    });
    expect(run.stderr).toBe(
      'model-gate run: the ledger list.json is not one model-gate wrote (expected a mapping, got a list): fix it, or restore it if it held releases: deleting it starts an empty ledger, which forgets any candidate in flight while it may still get live traffic\n',
    );
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });
});

describe('a directory where a version file should be', () => {
  it('is refused by plan and run by its path, exit code 1', async () => {
    await mkdir(join(repo.dir, 'models', 'ranker', 'model.yaml'), { recursive: true });
    const expected =
      "models/ranker/model.yaml: is a directory, expected a file (the config names it as a model's version file or an offline gate's file): point the config at a file";
    const plan = await cli(repo.dir, ['plan']);
    expect(plan.stderr).toBe(`model-gate plan: ${expected}`);
    expect(plan.code).toBe(1);
    const release = await cli(repo.dir, ['run', 'release', '--ledger', join(scratch, 'release.json')]);
    expect(release.stderr).toBe(`model-gate run: ${expected}`);
    expect(release.code).toBe(1);
  });
});

describe('validate without a path', () => {
  it("reads the config at the repository's top from a folder inside it", async () => {
    const run = await cli(join(repo.dir, 'models'), ['validate']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('✓ ../.github/model-gate.yml: 2 models (fraud-detector, ranker)');
    expect(run.code).toBe(0);
  });

  it('reads .github/model-gate.yml in the current folder outside a git repository', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'model-gate-no-repo-'));
    await mkdir(join(outside, '.github'));
    await writeFile(join(outside, '.github', 'model-gate.yml'), CONFIG);
    const run = await cli(outside, ['validate']);
    expect(run.stdout).toBe('✓ .github/model-gate.yml: 2 models (fraud-detector, ranker)');
    expect(run.code).toBe(0);
  });
});

describe('model-gate analyze', () => {
  const LOOK = {
    time: '2026-11-28T10:05:00Z',
    gate: 'errors',
    kind: 'ratio',
    split: 0.05,
    canary: { events: 12, total: 1500 },
    baseline: { events: 290, total: 28500 },
    maxIncrease: 0.1,
  };

  it('takes --alpha=A as plan and run take --opt=value', async () => {
    await writeFile(join(scratch, 'obs.jsonl'), `${JSON.stringify(LOOK)}\n`);
    const run = await cli(scratch, ['analyze', '--json', 'obs.jsonl', '--alpha=0.1']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ file: 'obs.jsonl', alpha: 0.1, gates: [{ alpha: 0.1 }] });
    // The one gate is still waiting: exit code 4.
    expect(run.code).toBe(4);
  });

  it('says "file not found" or "is a directory", not an errno, exit code 3', async () => {
    const missing = await cli(scratch, ['analyze', 'nope.jsonl']);
    expect(missing.stderr).toBe(
      'model-gate analyze: nope.jsonl: file not found; pass the path of an observation log (docs/observations.md)',
    );
    expect(missing.code).toBe(3);
    const directory = await cli(repo.dir, ['analyze', 'models']);
    expect(directory.stderr).toBe(
      'model-gate analyze: models: is a directory, expected a file; pass the path of an observation log (docs/observations.md)',
    );
    expect(directory.code).toBe(3);
  });
});

describe('model-gate run rollback', () => {
  it('asks for --to-version, the flag, when the ledger knows no earlier version', async () => {
    const run = await cli(repo.dir, [
      'run',
      'rollback',
      '--model',
      'fraud-detector',
      '--ledger',
      join(scratch, 'empty.json'),
    ]);
    expect(run.stderr).toBe(
      'model-gate run: rollback fraud-detector: set --to-version; the ledger has no version before v1',
    );
    expect(run.code).toBe(1);
  });
});
