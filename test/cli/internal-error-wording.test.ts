import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Command, main } from '../../src/cli/main.js';

// A bug in model-gate met by a command is told in the words the engine tells a defect with (a
// schedule tick's, the action's): "model-gate stopped on an unexpected error …; please report it",
// naming the command, one line; the stack trace only with MODEL_GATE_DEBUG=1. It used to say
// "model-gate run: internal error: …", a wording of its own. In-process through main(), as
// cli-errors.test.ts runs it, with a command that fails as a bug would.
const DEFECT = "Cannot read properties of undefined (reading 'fraud-detector')";
const bug: Record<string, Command> = {
  run: async () => {
    throw new TypeError(DEFECT);
  },
  // A message over several lines (a child's output quoted in it) is still one line.
  tick: async () => {
    throw new Error('the ledger answered\n  {"releases": null}\nwhere a map was expected');
  },
};

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-internal-error-'));
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** `model-gate <args>` run by main(): what it printed to stderr and its exit code. */
async function cli(args: string[]) {
  const stderr: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void stderr.push(a.join(' ')));
  const before = process.cwd();
  process.chdir(scratch);
  try {
    return { code: await main(args, bug), stderr: stderr.join('\n') };
  } finally {
    process.chdir(before);
    error.mockRestore();
  }
}

describe('a bug met by a command', () => {
  it("is told in the engine's words for a defect, naming the command, one line, exit code 70", async () => {
    const run = await cli(['run', 'tick']);
    expect(run.stderr).toBe(
      `model-gate stopped on an unexpected error in "model-gate run": ${DEFECT}; please report it with the command you ran`,
    );
    expect(run.code).toBe(70);

    const lines = await cli(['tick']);
    expect(lines.stderr).toBe(
      'model-gate stopped on an unexpected error in "model-gate tick": the ledger answered {"releases": null} where a map was expected; please report it with the command you ran',
    );
  });

  it('adds its stack trace only with MODEL_GATE_DEBUG=1', async () => {
    vi.stubEnv('MODEL_GATE_DEBUG', '1');
    const [line, ...stack] = (await cli(['run'])).stderr.split('\n');
    expect(line).toMatch(
      /^model-gate stopped on an unexpected error in "model-gate run": .*; please report it/,
    );
    expect(stack[0]).toBe(`TypeError: ${DEFECT}`);
    expect(stack[1]).toMatch(/^ {4}at /);
  });
});
