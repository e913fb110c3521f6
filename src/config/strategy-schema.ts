import { z } from 'zod';
import { formatDuration } from './duration.js';
import { always, duration, finite, type Loose, strict, unknownVariant } from './fields.js';
import { describeValue } from './messages.js';

// ── strategies ──────────────────────────────────────────────────────────────────────────

const stepMessage = (input: unknown) =>
  `expected a number between 0 and 100${input === 0 ? ' (more than 0)' : ''}, got ${describeValue(input)}`;
const step = z
  .number({ error: (issue) => stepMessage(issue.input) })
  .gt(0, { error: (issue) => stepMessage(issue.input) })
  .lte(100, { error: (issue) => stepMessage(issue.input) });

const steps = z
  .array(step)
  .min(1, { error: 'expected at least one step, got an empty list' })
  .superRefine((values, ctx) => {
    let highest: number | undefined;
    values.forEach((value, i) => {
      if (!finite(value) || value <= 0 || value > 100) return;
      if (highest !== undefined && value <= highest) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          path: [i],
          message: `expected more than ${highest} (steps must increase), got ${value}`,
        });
      }
      highest = Math.max(highest ?? value, value);
    });
  }, always)
  .describe('Percent of live traffic on the candidate at each step: strictly increasing, each in (0, 100].');

const canaryStrategy = strict({
  type: z.literal('canary').describe('Shift live traffic to the candidate in steps.'),
  steps,
  'step-duration': duration(
    'Longest a step may last (e.g. "10m"); a step ends early once every gate has passed.',
  ).prefault('10m'),
  'min-requests': z
    .int()
    .min(0)
    .default(100)
    .describe('Candidate requests needed in a step before its gates can pass.'),
  interval: duration('How often the gates are measured (e.g. "30s"); shorter than step-duration.').prefault(
    '30s',
  ),
})
  .superRefine((value, ctx) => {
    const { 'step-duration': stepMs, interval } = value as Loose;
    if (finite(stepMs) && finite(interval) && interval >= stepMs) {
      ctx.addIssue({
        code: 'custom',
        input: interval,
        path: ['interval'],
        message: `expected less than step-duration (${formatDuration(stepMs)}), got ${formatDuration(interval)}`,
      });
    }
  }, always)
  .transform((s) => ({
    type: s.type,
    steps: s.steps,
    stepDurationMs: s['step-duration'],
    minRequests: s['min-requests'],
    intervalMs: s.interval,
  }))
  .describe('A canary: the candidate gets `steps` percent of live traffic in turn; gates decide each step.');

/** Release strategies. Add a variant here (and to types.ts) for a new `type:`. */
export const strategySchema = z
  .discriminatedUnion('type', [canaryStrategy], { error: unknownVariant('strategy type') })
  .describe('How traffic moves to the candidate.');
