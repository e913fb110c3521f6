import { z } from 'zod';
import { httpUrl, servedModelName, strict, unknownVariant } from './fields.js';

// ── targets and metric sources ──────────────────────────────────────────────────────────

const sandboxTarget = strict({
  type: z.literal('sandbox').describe('The embedded serving router of `model-gate sandbox`.'),
  url: httpUrl,
  model: servedModelName.optional(),
}).describe('A running `model-gate sandbox` (or the one the demo starts).');

/** Serving platforms. Add a variant here (and to types.ts) for a new `type:`. */
export const targetSchema = z
  .discriminatedUnion('type', [sandboxTarget], { error: unknownVariant('target type') })
  .describe('The serving platform the candidate is deployed to.');
