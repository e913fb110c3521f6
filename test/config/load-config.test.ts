import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateCommand } from '../../src/cli/validate-command.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { VALID } from './sample.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-config-'));
  await writeFile(join(dir, 'good.yml'), VALID);
  await writeFile(
    join(dir, 'bad.yml'),
    'version: 1\nmodels:\n  fraud:\n    source: { file: m.yaml }\n    gates: []\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('reads a file with the environment given', async () => {
    const { config } = await loadConfig(join(dir, 'good.yml'), { SANDBOX_URL: 'http://127.0.0.1:1' });
    expect(config.models.ranker?.target).toMatchObject({ url: 'http://127.0.0.1:1' });
  });

  it('reads the example shipped with the project', async () => {
    const { config } = await loadConfig('examples/sandbox/model-gate.yml', {
      SANDBOX_URL: 'http://127.0.0.1:1',
    });
    expect(Object.keys(config.models)).toEqual(['fraud-detector']);
  });

  it('says how to fix a missing file', async () => {
    const missing = join(dir, 'nope.yml');
    const error = await loadConfig(missing, {}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `${missing}: config file not found; create it (see docs/configuration.md) or set the \`config\` input to its path`,
    ]);
  });

  it('points at the config with the other YAML extension when that is what exists', async () => {
    await writeFile(join(dir, 'model-gate.yaml'), VALID);
    const missing = join(dir, 'model-gate.yml');
    const error = (await loadConfig(missing, {}).catch((err: unknown) => err)) as ConfigError;
    expect(error.problems).toEqual([
      `${missing}: config file not found; model-gate.yaml is there: rename it to model-gate.yml or set the \`config\` input to its path`,
    ]);
  });

  it('names the file in every problem', async () => {
    const file = join(dir, 'bad.yml');
    const error = (await loadConfig(file, {}).catch((err: unknown) => err)) as ConfigError;
    expect(error.problems).toEqual([
      `${file}:3:3: models.fraud.target: required (or set defaults.target)`,
      `${file}:3:3: models.fraud.metrics: required (or set defaults.metrics)`,
      `${file}:3:3: models.fraud.strategy: required (or set defaults.strategy)`,
      `${file}:4:5: models.fraud.source.key: required: Dotted key of the version in that file, e.g. "version" or "model.version"`,
    ]);
  });
});

describe('model-gate validate', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
    const error = vi
      .spyOn(console, 'error')
      .mockImplementation((line: unknown) => void err.push(String(line)));
    return {
      out,
      err,
      restore: () => {
        log.mockRestore();
        error.mockRestore();
      },
    };
  }

  it('prints the models of a valid file and returns 0', async () => {
    vi.stubEnv('SANDBOX_URL', 'http://127.0.0.1:1');
    const io = capture();
    try {
      const file = join(dir, 'good.yml');
      expect(await validateCommand([file])).toBe(0);
      expect(io.out).toEqual([`✓ ${file}: 2 models (fraud-detector, ranker)`]);
      expect(io.err).toEqual([]);
    } finally {
      io.restore();
      vi.unstubAllEnvs();
    }
  });

  it('prints each problem on its own line to stderr and returns 1', async () => {
    const io = capture();
    try {
      const file = join(dir, 'bad.yml');
      expect(await validateCommand([file])).toBe(1);
      expect(io.err).toHaveLength(4);
      expect(io.err[3]).toBe(
        `${file}:4:5: models.fraud.source.key: required: Dotted key of the version in that file, e.g. "version" or "model.version"`,
      );
      expect(io.out).toEqual([]);
    } finally {
      io.restore();
    }
  });

  it('defaults to .github/model-gate.yml and refuses extra arguments', async () => {
    const io = capture();
    try {
      await validateCommand([]);
      expect([...io.out, ...io.err][0]).toMatch(/^(✓ )?\.github\/model-gate\.yml[:]/);
      io.err.length = 0;
      // Usage errors exit 2, as every command's do.
      expect(await validateCommand(['a.yml', 'b.yml'])).toBe(2);
      expect(await validateCommand(['--strict'])).toBe(2);
      expect(io.err.map((line) => line.split('\n')[0])).toEqual([
        'model-gate validate: unexpected argument "b.yml" (usage: model-gate validate [config])',
        'model-gate validate: unknown option --strict (usage: model-gate validate [config])',
      ]);
    } finally {
      io.restore();
    }
  });
});
