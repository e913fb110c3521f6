import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { InputError, VersionError } from '../../src/core/errors.js';
import { findChangedModels, gitFileReader, workingTreeReader } from '../../src/version/changed-models.js';

// The real execFile, counted: a hostile ref or path must be refused before git runs at all.
vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>();
  return { ...actual, execFile: vi.fn(actual.execFile) };
});

let repo: string;
let base: string;
let head: string;

async function put(path: string, text: string) {
  await mkdir(dirname(join(repo, path)), { recursive: true });
  await writeFile(join(repo, path), text);
}

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  }).trim();
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'model-gate-git-'));
  git('init', '-q', '-b', 'main');
  await put('models/fraud/model.yaml', 'version: 1.0.0\n');
  await put('models/ranker/model.json', '{"model": {"version": "3.1"}}\n');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  base = git('rev-parse', 'HEAD');
  await put('models/fraud/model.yaml', 'version: 1.1.0\n');
  await put('models/churn/model.yaml', 'version: 0.1.0\n');
  git('add', '.');
  git('commit', '-q', '-m', 'head');
  head = git('rev-parse', 'HEAD');
  await put('models/fraud/model.yaml', 'version: 2.0.0-dirty\n');
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

beforeEach(() => {
  vi.mocked(execFile).mockClear();
});

const config = {
  version: 1,
  models: {
    fraud: { source: { file: 'models/fraud/model.yaml', key: 'version' } },
    ranker: { source: { file: 'models/ranker/model.json', key: 'model.version' } },
    churn: { source: { file: 'models/churn/model.yaml', key: 'version' } },
  },
} as unknown as Config;

describe('gitFileReader against a real repository', () => {
  it('reads files as committed at each ref, and undefined for a file absent there', async () => {
    const reader = gitFileReader(repo);
    expect(await reader.read(base, 'models/fraud/model.yaml')).toBe('version: 1.0.0\n');
    expect(await reader.read(head, 'models/fraud/model.yaml')).toBe('version: 1.1.0\n');
    expect(await reader.read('main', './models/churn/model.yaml')).toBe('version: 0.1.0\n');
    expect(await reader.read(base, 'models/churn/model.yaml')).toBeUndefined();
    expect(await reader.read(head, 'models/nothing.yaml')).toBeUndefined();
  });

  it('drives findChangedModels between two commits', async () => {
    expect(await findChangedModels(config, gitFileReader(repo), base, head)).toStrictEqual([
      { model: 'fraud', from: '1.0.0', to: '1.1.0' },
      { model: 'churn', to: '0.1.0' },
    ]);
    expect(await findChangedModels(config, gitFileReader(repo), base, base)).toStrictEqual([]);
  });

  it('reports an unknown commit as an error, not as an absent file', async () => {
    await expect(gitFileReader(repo).read('0123456789abcdef', 'models/fraud/model.yaml')).rejects.toThrow(
      /^cannot read models\/fraud\/model\.yaml at 0123456789abcdef with git: fatal: /,
    );
    await expect(gitFileReader(tmpdir()).read(head, 'models/fraud/model.yaml')).rejects.toBeInstanceOf(
      VersionError,
    );
  });

  it.each([
    '--output=/tmp/pwned',
    '-p',
    'HEAD;id',
    '$(id)',
    '`id`',
    'main\nHEAD',
    'a b',
    'main..HEAD',
    'HEAD@{1}',
    'HEAD:models/x',
    '',
    'x'.repeat(201),
  ])('refuses the ref %j without running git', async (ref) => {
    const error = await gitFileReader(repo)
      .read(ref, 'models/fraud/model.yaml')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /^refusing git ref ".*"( \(\d+ characters\))?: expected a commit SHA or a branch or tag name$/s,
    );
    expect(execFile).not.toHaveBeenCalled();
  });

  it.each(['../outside.yaml', '/etc/passwd', 'models/../../x', 'a\nb', ''])(
    'refuses the path %j without running git',
    async (path) => {
      await expect(gitFileReader(repo).read(head, path)).rejects.toBeInstanceOf(InputError);
      expect(execFile).not.toHaveBeenCalled();
    },
  );
});

describe('workingTreeReader', () => {
  it('reads the file on disk whatever the ref, undefined when absent', async () => {
    const reader = workingTreeReader(repo);
    expect(await reader.read('ignored', 'models/fraud/model.yaml')).toBe('version: 2.0.0-dirty\n');
    expect(await reader.read('ignored', 'models/none.yaml')).toBeUndefined();
  });

  it('refuses paths and symlinks that lead outside the tree', async () => {
    const reader = workingTreeReader(repo);
    await expect(reader.read('x', '../x')).rejects.toBeInstanceOf(InputError);
    await symlink(dirname(repo), join(repo, 'models', 'link.yaml'));
    await expect(reader.read('x', 'models/link.yaml')).rejects.toThrow(
      'refusing path "models/link.yaml": it leads outside',
    );
  });
});
