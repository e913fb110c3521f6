import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { newRelease } from '../../src/release/new-release.js';
import { planAll } from '../../src/release/plan.js';
import { plannedLines } from '../../src/release/plan-text.js';
import { renderMarkdown } from '../../src/report/markdown.js';

// An A/B on a platform that splits each request by weight: the plan says a user can see both arms.
const config = (target: string) => `version: 1
models:
  ranker:
    source: { file: ranker.yaml, key: version }
    target: ${target}
    metrics: { type: sandbox, url: "http://127.0.0.1:8080" }
    strategy: { type: ab, split: 50 }
    gates:
      - { name: conversion, kind: conversion, exposures: exposed-users, conversions: converted-users }
      - { name: split, kind: srm, units: users }
`;

describe('the plan of an A/B', () => {
  it('on SageMaker, says the split is per request and how a caller keeps a user on one arm', () => {
    const target =
      '{ type: sagemaker, endpoint: ranker-prod, region: eu-west-1, variant: "ranker-{{version}}" }';
    const [model] = planAll(parseConfig(config(target), {}).config).models;
    const lines = model ? plannedLines(model) : [];
    expect(lines.at(-1)).toMatch(
      /^ {2}note: the sagemaker target splits each request at random by weight, not by x-user-id, so a user can see both arms; .*TargetVariant/,
    );
  });

  it('says how long it runs: to its planned sample, capped by step-duration, driven by schedule ticks', () => {
    const [model] = planAll(
      parseConfig(config('{ type: sandbox, url: "http://127.0.0.1:8080" }'), {}).config,
    ).models;
    expect(model ? plannedLines(model) : []).toContain(
      "  runs: until its conversion gates decide or reach their planned sample size, at most 14d (step-duration); longer than a job's max-wait (5h by default), so drive it with schedule ticks (command: tick)",
    );
  });

  it('capped within a job (step-duration 1m), needs no schedule ticks to say so', () => {
    const short = config('{ type: sandbox, url: "http://127.0.0.1:8080" }').replace(
      '{ type: ab, split: 50 }',
      '{ type: ab, split: 50, step-duration: 1m }',
    );
    const [model] = planAll(parseConfig(short, {}).config).models;
    expect(model ? plannedLines(model) : []).toContain(
      '  runs: until its conversion gates decide or reach their planned sample size, at most 1m (step-duration)',
    );
  });

  it('on the sandbox, which splits by the sticky key, has no such note', () => {
    const [model] = planAll(
      parseConfig(config('{ type: sandbox, url: "http://127.0.0.1:8080" }'), {}).config,
    ).models;
    expect(model?.note).toBeUndefined();
    expect(model ? plannedLines(model).some((l) => l.includes('note:')) : true).toBe(false);
  });

  it('on SageMaker, the PR comment says the split is per request too', () => {
    const target =
      '{ type: sagemaker, endpoint: ranker-prod, region: eu-west-1, variant: "ranker-{{version}}" }';
    const parsed = parseConfig(config(target), {}).config;
    const model = parsed.models.ranker;
    if (!model) throw new Error('no ranker');
    const release = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
    const text = renderMarkdown(parsed, { releases: [release], skipped: [] }, { now: 0 });
    expect(text).toMatch(
      /\nℹ️ the sagemaker target splits each request at random by weight, not by x-user-id/,
    );
  });
});
