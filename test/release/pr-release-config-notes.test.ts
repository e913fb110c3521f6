import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { configChangeNotes } from '../../src/release/config-change-note.js';
import type { RunResult } from '../../src/release/pull-request.js';
import { runDecision } from '../../src/report/decision.js';
import { MERGED, OPENED, REPO } from '../support/comment-owner-world.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { gitHubPrJob } from '../support/github-pr-job.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';

// A PR's run obeys the PR's own config, so a PR can loosen the gates that judge it, drop one, or
// have the merge promote whatever the analysis says: its comment says what the PR changed of each
// changed model's release config. And a merge promotes what passed under the gates of the config
// it was analysed under: where the merge's config has gates the analysis never judged, the comment
// says so. PR #1 moves fraud from v1 (base sha(2)) to v2 (head sha(3)), on the GitHub stand-in,
// the candidate healthy (error rate 0.005).

const CONFIG_FILE = '.github/model-gate.yml';

/** fraud's config: a two-step canary, `gates` (YAML list items) and `extra` model fields. */
const fraudYaml = (gates: string[], extra = '') => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
${extra}    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

const ERRORS = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';
const P99 = '{ name: p99, kind: threshold, query: latency-p99, max: 0.25 }';
const STRICT = '{ name: strict, kind: threshold, query: error-rate, max: 0.01 }';
const BASE_CONFIG = fraudYaml([ERRORS, P99]);
/** A config whose gates the stand-in's metrics can judge (no p99 latency there). */
const PLAIN = fraudYaml([ERRORS]);
/** The PR's config: errors loosened to 50%, p99 dropped, the merge promoting whatever the analysis says. */
const LOOSER_CONFIG = fraudYaml(
  ['{ name: errors, kind: threshold, query: error-rate, max: 0.5 }'],
  '    on-merge: analyze-then-promote\n',
);

let github: FakeGitHub;
let target: MemoryTarget;
const clock = new FakeClock(Date.now());
let runId = 100;
beforeEach(async () => {
  github = await startFakeGitHub(REPO);
  github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });
  target = new MemoryTarget({ stable: { version: 'v1' } });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** One job of PR #1 on `event` under `config` (YAML), the config file at base and head as `configs` has them. */
function job(event: typeof OPENED, config: string, configs: { base?: string; head?: string } = {}) {
  const at = (version: string, text?: string) => ({
    'fraud.yaml': `version: ${version}\n`,
    ...(text === undefined ? {} : { [CONFIG_FILE]: text }),
  });
  return gitHubPrJob({
    githubUrl: github.url,
    repo: REPO,
    config: parseConfig(config, {}).config,
    event,
    target,
    files: { [sha(2)]: at('v1', configs.base), [sha(3)]: at('v2', configs.head) },
    clock,
    runId: ++runId,
  });
}

/** The PR comment's text as a reader sees it, the report's escapes undone. */
const comment = () => (github.comments(1).at(-1)?.body ?? '').replaceAll('\\', '');
const notes = (result: RunResult) => result.skipped.map((s) => `${s.model}: ${s.why}`);

const LOOSENED =
  'fraud: this PR changes its release config: gate "p99" removed; gate "errors" max 0.02 → 0.5; on-merge require-pass → analyze-then-promote';

describe("a PR that changes its own models' release config", () => {
  it('says so in its comment, change by change, on the PR run and again on the merge', async () => {
    const configs = { base: BASE_CONFIG, head: LOOSER_CONFIG };
    const opened = await job(OPENED, LOOSER_CONFIG, configs).run();
    expect(runDecision(opened)).toBe('ready');
    expect(notes(opened)).toEqual([LOOSENED]);
    expect(comment()).toContain(`- ${LOOSENED}\n`);

    const merged = await job(MERGED, LOOSER_CONFIG, configs).run();
    expect(runDecision(merged)).toBe('promoted');
    // From the release's record: the merge job asks GitHub nothing more for it.
    expect(comment()).toContain(LOOSENED.replace('fraud: ', ''));
  });

  it('names strategy and target fields, and a gate added, as the file writes them', async () => {
    const head = PLAIN.replace('steps: [10, 50], step-duration: 1m', 'steps: [50], step-duration: 30s')
      .replace(
        '    source:',
        '    target: { type: sandbox, url: "http://127.0.0.1:1", model: other }\n    source:',
      )
      .concat(`      - ${STRICT}\n`);
    const opened = await job(OPENED, head, { base: PLAIN, head }).run();
    expect(runDecision(opened)).toBe('ready');
    expect(notes(opened)).toEqual([
      'fraud: this PR changes its release config: gate "strict" added; strategy steps [10, 50] → [50], step-duration 1m → 30s; target model unset → other',
    ]);
  });
});

describe("a PR that leaves the config file alone while the base branch's changed since", () => {
  it('says nothing of the difference: the base made it, not the PR', async () => {
    const reader = { read: async (ref: string) => (ref === sha(2) ? LOOSER_CONFIG : BASE_CONFIG) };
    const log = { info() {}, warn() {} };
    const refs = { base: sha(2), head: sha(3) };
    const notesFor = (touched?: ReadonlySet<string>) =>
      configChangeNotes(reader, refs, ['fraud'], CONFIG_FILE, log, touched);
    expect(await notesFor(new Set(['fraud.yaml']))).toEqual([]);
    // Among the PR's files (or with no list to tell), the difference is the PR's.
    expect((await notesFor(new Set(['fraud.yaml', CONFIG_FILE]))).map((n) => n.why)).toHaveLength(1);
    expect(await notesFor(undefined)).toHaveLength(1);
  });
});

describe('a merge whose config has gates the analysis never judged', () => {
  it('promotes the candidate and names each gate added or defined otherwise since', async () => {
    expect(runDecision(await job(OPENED, fraudYaml([ERRORS, STRICT])).run())).toBe('ready');
    // The merged head adds a gate and redefines errors: neither was judged as the merge config has
    // it. strict, as it was, was judged: not named.
    const mergeConfig = fraudYaml([
      '{ name: errors, kind: threshold, query: error-rate, max: 0.03 }',
      STRICT,
      P99,
    ]);
    const merged = await job(MERGED, mergeConfig).run();
    expect(runDecision(merged)).toBe('promoted');
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    const note =
      'fraud: the merge config has gates "p99" (not configured then), "errors" (configured otherwise then) that the analysis of v2 did not judge: the merge promotes it on the gates it passed';
    expect(notes(merged)).toEqual([note]);
    expect(comment()).toContain(`- ${note}\n`);
  });
});
