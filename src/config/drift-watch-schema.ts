import { z } from 'zod';
import { duration, strict } from './fields.js';

export const driftWatchSchema = strict({
  buckets: z
    .string()
    .min(1)
    .default('scores')
    .describe('Histogram query of the predictions (for the sandbox source: "scores").'),
  window: duration('Recent predictions compared (e.g. "1h").').prefault('1h'),
  reference: duration('The window just before them that they are compared with (e.g. "24h").').prefault(
    '24h',
  ),
  'max-psi': z
    .number()
    .gt(0)
    .default(0.25)
    .describe(
      'Population stability index at or above which the model counts as drifted (0.1 moderate, 0.25 significant).',
    ),
})
  .transform((d) => ({
    buckets: d.buckets,
    windowMs: d.window,
    referenceMs: d.reference,
    maxPsi: d['max-psi'],
  }))
  .describe(
    "On every schedule tick, compare the stable version's recent predictions with the window before them.",
  );
