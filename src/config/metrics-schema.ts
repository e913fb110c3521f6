import { z } from 'zod';
import { httpUrl, servedModelName, strict, unknownVariant } from './fields.js';

// ── metric sources ──

const sandboxMetrics = strict({
  type: z.literal('sandbox').describe('The metrics of a `model-gate sandbox`.'),
  url: httpUrl,
  model: servedModelName.optional(),
}).describe('Metrics from a running `model-gate sandbox`.');

/** Metric sources. Add a variant here (and to types.ts) for a new `type:`. */
export const metricsSchema = z
  .discriminatedUnion('type', [sandboxMetrics], { error: unknownVariant('metrics type') })
  .describe('Where the gates read live metrics.');
