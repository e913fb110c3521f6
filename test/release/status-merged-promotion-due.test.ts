import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { handleCommand } from '../../src/release/commands.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';

// on-merge: analyze-then-promote, PR #2 merged while green bakes; the bake passes, and the merge job
// is lost before its promotion. Green keeps all live traffic until a tick promotes it. command
// status said v2 served "awaiting merge of PR #2", of a PR merged already: it says the promotion is
// due. On the real sandbox, a file ledger and a fake clock.

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

describe('command status while a merged candidate waits for its promotion', () => {
  it('says v2 serves because PR #2 merged and its promotion is due, not that it awaits the merge', async () => {
    const w = await blueGreenWorld(sandbox);
    (w.config.models[MODEL] as ModelConfig).onMerge = 'analyze-then-promote';
    const { event } = await w.open(2, 'v1', 'v2', 'tick');
    // The runner is lost as it goes to promote: the release stays ready, green at 100%.
    w.hooks.beforeWrite = (desired) => {
      if (desired.stable.version === 'v2') throw new Error('runner lost');
    };
    await expect(w.merge(event)).rejects.toThrow('runner lost');
    w.hooks.beforeWrite = undefined;
    expect(await w.served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });

    const result = await handleCommand(w.config, 'status', { dryRun: false }, w.ports);
    const line = `${MODEL}: v2 takes all live traffic (blue-green, ready, PR #2 merged: its promotion is due); stable v1 takes none meanwhile`;
    const markdown = renderMarkdown(w.config, result, { now: w.clock.now() });
    expect(markdown).toContain(`- ${line}`);
    expect(markdown).not.toContain('awaiting merge');
    expect(renderTerminal(w.config, result, w.clock.now())).toContain(line);
  });
});
