/**
 * A bug in model-gate met by `model-gate analyze` is not a verdict: it exits 70, never 1 (a gate
 * failed) nor any other code a script reads as what the log shows, with one line naming the file
 * it was replaying, in the words the CLI tells a defect with; the stack only with
 * MODEL_GATE_DEBUG=1. Through main(), as the command line runs it, with a replay that fails as
 * a bug would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const DEFECT = "Cannot read properties of undefined (reading 'evidence')";
vi.mock('../../src/cli/analyze-replay.js', () => ({
  analyzeLog: async () => {
    throw new TypeError(DEFECT);
  },
}));

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-bug-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function analyze() {
  const file = join(dir, 'release-42.jsonl');
  writeFileSync(file, '{}\n');
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { file, code: await main(['analyze', file]), err };
}

describe('model-gate analyze meeting a bug', () => {
  it('exits 70, not 1, with one line naming the file', async () => {
    const { file, code, err } = await analyze();
    expect(err).toEqual([
      `model-gate stopped on an unexpected error in "model-gate analyze" on ${file}: ${DEFECT}; please report it with the command you ran`,
    ]);
    expect(code).toBe(70);
  });

  it('adds its stack trace only with MODEL_GATE_DEBUG=1', async () => {
    vi.stubEnv('MODEL_GATE_DEBUG', '1');
    const { err } = await analyze();
    expect(err).toHaveLength(2);
    expect(err[1]).toMatch(new RegExp(`^TypeError: ${DEFECT.replace(/[()']/g, '\\$&')}\n {4}at `));
  });
});
