import { describe, expect, it } from 'vitest';
import { readTimeLimit } from '../../src/config/duration-input.js';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';
const EXPECTED = 'expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d"';

const withStepDuration = (text: string) => `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sandbox, url: http://127.0.0.1:8080 }
    metrics: { type: sandbox, url: http://127.0.0.1:8080 }
    strategy: { type: canary, steps: [10, 50], step-duration: "${text}" }
    gates: []
`;

// Durations as people type them: the config's fields and the max-wait input / --max-wait flag
// say it in the same words, with the duration that was most likely meant.
describe('durations written another way', () => {
  it.each([
    ['10min', '10m'],
    ['10 m', '10m'],
    ['1h30', '1h30m'],
    ['1.5h', '1h30m'],
    ['2 days', '2d'],
  ])('%j in a config field: write %j', (written, fix) => {
    expect(problemsOf(withStepDuration(written))).toEqual([
      `${F}:7:63: models.fraud.strategy.step-duration: ${EXPECTED}, got "${written}": write "${fix}"`,
    ]);
  });

  it('max-wait says the same as the config field', () => {
    expect(readTimeLimit('10min')).toEqual({ problem: `${EXPECTED}, got "10min": write "10m"` });
    expect(readTimeLimit('soon')).toEqual({ problem: `${EXPECTED}, got "soon"` });
  });

  it('text with no likely duration in it gets no suggestion', () => {
    expect(problemsOf(withStepDuration('soon'))).toEqual([
      `${F}:7:63: models.fraud.strategy.step-duration: ${EXPECTED}, got "soon"`,
    ]);
  });
});
