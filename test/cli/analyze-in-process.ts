import { vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

/** `model-gate analyze ARGS` in this process: its exit code, what it printed, and its error lines. */
export async function analyze(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await analyzeCommand(args);
    return { code, out: out.join('\n'), err };
  } finally {
    vi.restoreAllMocks();
  }
}
