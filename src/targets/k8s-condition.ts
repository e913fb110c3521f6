import { z } from 'zod';

/**
 * A status condition of a Kubernetes resource (knative's apis.Condition, which KServe and Seldon
 * Core v2 both write): `Ready` True/False/Unknown, why, and when it last changed.
 */
export const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
