/**
 * The webhook gate: at every look, POST the check of docs/webhook-gate.openapi.yaml to the
 * user's service and take its verdict. No answer, a non-2xx status or a body that is not an
 * answer is an error (counted by consecutive-error-limit), never a pass.
 */
import { z } from 'zod';
import type { WebhookGateConfig } from '../config/types.js';
import { errorText, requestJson } from '../core/http-json.js';
import type { Measurement } from '../release/types.js';
import type { StatisticalContext } from './ratio-gate.js';

const answerSchema = z.object({
  verdict: z.enum(['pass', 'fail', 'waiting']),
  note: z.string().max(500).optional(),
  value: z.number().optional(),
});

export async function measureWebhook(gate: WebhookGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  const check = {
    gate: gate.name,
    model: ctx.model,
    stable: ctx.stable,
    candidate: ctx.candidate,
    slot: ctx.candidateSlot ?? 'canary',
    ...(ctx.weight === undefined ? {} : { weight: ctx.weight }),
    since: ctx.since,
    now: ctx.now,
  };
  let res: Awaited<ReturnType<typeof requestJson>>;
  try {
    res = await requestJson('POST', gate.url, check, gate.timeoutMs, gate.headers);
  } catch (err) {
    return { at, verdict: 'error', note: `the webhook did not answer: ${(err as Error).message}` };
  }
  if (res.status < 200 || res.status > 299) {
    return { at, verdict: 'error', note: `the webhook answered ${res.status}: ${errorText(res)}` };
  }
  const answer = answerSchema.safeParse(res.body);
  if (!answer.success) {
    const got = JSON.stringify(res.body)?.slice(0, 120) ?? 'nothing';
    return {
      at,
      verdict: 'error',
      note: `the webhook's answer is not {"verdict": "pass" | "fail" | "waiting", "note"?: text}: got ${got}`,
    };
  }
  const { verdict, note, value } = answer.data;
  return {
    at,
    verdict,
    note: note ?? `the webhook answered ${verdict}`,
    ...(value === undefined ? {} : { canary: value }),
  };
}
