import { z } from 'zod';
import { duration, strict } from './fields.js';
import { SANDBOX_NAMED } from './gate-queries.js';
import { sandboxNamed } from './gate-schema.js';

export const driftWatchSchema = strict({
  buckets: sandboxNamed(
    SANDBOX_NAMED['drift-watch'].buckets,
    "Histogram query of the stable version's predictions",
  ),
  window: duration('Recent predictions compared (e.g. "1h").').prefault('1h'),
  reference: duration('The window just before them that they are compared with (e.g. "24h").').prefault(
    '24h',
  ),
  'max-psi': z
    .number()
    .gt(0)
    .default(0.25)
    .describe(
      'Effect-size floor: drift is flagged when the anytime-valid KS judge finds the windows differ and their population stability index is at or above this (0.1 moderate, 0.25 major).',
    ),
  'end-psi': z
    .number()
    .gt(0)
    .optional()
    .describe(
      'A drift on record ends when its population stability index falls below this (a quiet hour too few to tell the windows apart does not end it); below max-psi (default: half of it), so a shift hovering near max-psi alerts once, not on every crossing.',
    ),
})
  .superRefine((d, ctx) => {
    const end = d['end-psi'];
    if (end !== undefined && end >= d['max-psi'])
      ctx.addIssue({
        code: 'custom',
        input: end,
        path: ['end-psi'],
        message: `must be below max-psi (${d['max-psi']}), got ${end}: a drift begins at max-psi and ends below end-psi (default half of max-psi)`,
      });
  })
  .transform((d) => ({
    buckets: d.buckets,
    windowMs: d.window,
    referenceMs: d.reference,
    maxPsi: d['max-psi'],
    // Hysteresis: a drift hovering near max-psi stays one drift, not one per crossing.
    endPsi: d['end-psi'] ?? d['max-psi'] / 2,
  }))
  .describe(
    "On every schedule tick, compare the stable version's recent predictions with the window before them.",
  );
