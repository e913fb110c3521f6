import { describe, expect, it } from 'vitest';
import { newRelease } from '../../src/release/new-release.js';
import { configWith, report } from './release-world.js';

// The cells no longer name the test and its α (cells-plain-words): the comment keeps them in a
// fold under the table, so a reader re-checking a verdict still finds them.

describe('the gate table fold', () => {
  it('names the test and alpha of each statistical gate, and nothing for a plain threshold', () => {
    const config = configWith(
      '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
      [
        '{ name: split, kind: srm, units: users }',
        '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
        '{ name: slow, kind: threshold, query: latency-p95, max: 0.5 }',
      ],
    );
    const model = config.models.fraud;
    if (!model) throw new Error('no model fraud');
    const body = report(config, newRelease(model, { from: 'v1', to: 'v2', now: 0 }));
    const fold = body.slice(body.indexOf('<summary>How the gates judge</summary>'));
    expect(fold.slice(0, fold.indexOf('</details>'))).toBe(
      '<summary>How the gates judge</summary>\n\n- split (user split): sequential split check, α 0.025\n- conversion (converted-users / exposed-users): mSPRT, α 0.025\n\n',
    );
  });
});
