import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CLEANUP_STATE, post } from '../../src/action/post.js';
import { escapeMarkdown } from '../../src/report/markdown.js';
import { fraudPrOnSandbox } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A cancelled PR job's post step that could not withdraw the candidate failed with an annotation
// alone, its job summary empty. Now the summary says what the annotation says. The post step from
// src/ in this process, on a platform that does not answer (nothing listens on port 1), the ledger
// a local file holding no record of the candidate the main step saved.
describe("the post step's job summary", () => {
  it('a candidate it could not withdraw: the summary is the error, saying v2 may still get live traffic', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-post-summary-'));
    const config = join(dir, 'model-gate.yml');
    await writeFile(config, fraudPrOnSandbox('http://127.0.0.1:1'));
    const eventPath = join(dir, 'event.json');
    await writeFile(
      eventPath,
      JSON.stringify(pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 })),
    );
    const summary = join(dir, 'summary.md');
    await writeFile(summary, '');
    const saved = { env: process.env, exitCode: process.exitCode };
    process.env = {
      PATH: saved.env.PATH,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_WORKSPACE: dir,
      GITHUB_REPOSITORY: 'Codertocat/Hello-World',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '4242',
      GITHUB_STEP_SUMMARY: summary,
      RUNNER_TEMP: dir,
      INPUT_CONFIG: config,
      'INPUT_GITHUB-TOKEN': 'ghs_fake_token',
      INPUT_LEDGER: join(dir, 'ledger.json'),
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.001',
      [`STATE_${CLEANUP_STATE}`]: JSON.stringify([{ model: 'fraud-detector', from: 'v1', to: 'v2' }]),
    };
    process.exitCode = undefined;
    let log = '';
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      log += String(chunk);
      return true;
    });
    try {
      await post(process.env);
    } finally {
      quiet.mockRestore();
      process.env = saved.env;
      process.exitCode = saved.exitCode;
    }
    const error = /^::error::(.*)$/m.exec(log)?.[1] ?? '';
    expect(error).toMatch(/^model-gate post step could not withdraw the candidate: fraud-detector: /);
    const text = await readFile(summary, 'utf8');
    expect(text.split('\n')).toEqual([
      '## model-gate: ❌ The post step failed',
      '',
      // The annotation escapes % as %25 (a workflow command); the summary has it as written.
      escapeMarkdown(error.replaceAll('%25', '%')),
      '',
      "[the run's log](https://github.com/Codertocat/Hello-World/actions/runs/4242) has what the post step did.",
      '',
    ]);
  }, 60_000);
});
