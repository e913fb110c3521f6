/**
 * The webhook gate: at every look, POST the check of docs/webhook-gate.openapi.yaml to the
 * user's service and take its verdict. No answer, a non-2xx status or a body that is not an
 * answer is an error (counted by consecutive-error-limit), never a pass.
 */
import { z } from 'zod';
import type { WebhookGateConfig } from '../config/types.js';
import { errorText, requestJson, statusOfNotJson } from '../core/http-json.js';
import { redact } from '../core/redact.js';
import { safeUrl } from '../core/safe-url.js';
import { clip } from '../core/text.js';
import { decoded } from '../core/url-credentials.js';
import type { Measurement } from '../release/types.js';
import type { StatisticalContext } from './ratio-gate.js';

const answerSchema = z.object({
  verdict: z.enum(['pass', 'fail', 'waiting']),
  note: z.string().max(500).optional(),
  value: z.number().optional(),
});

/** A path shorter than this (`/check`) is no secret, and cutting it from the service's own words would garble them. */
const MIN_SECRET_PATH = 8;

export async function measureWebhook(gate: WebhookGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const look = await askWebhook(gate, ctx);
  return { ...look, note: hideWebhookPath(look.note ?? '', gate.url) };
}

async function askWebhook(gate: WebhookGateConfig, ctx: StatisticalContext): Promise<Measurement> {
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
    const message = (err as Error).message;
    const notJson = statusOfNotJson(err);
    if (notJson !== undefined)
      return {
        at,
        verdict: 'error',
        note: `the webhook answered ${notJson} with a body that is not JSON`,
      };
    return { at, verdict: 'error', note: `the webhook did not answer: ${message}` };
  }
  if (res.status < 200 || res.status > 299) {
    return { at, verdict: 'error', note: `the webhook answered ${res.status}: ${errorText(res)}` };
  }
  const answer = answerSchema.safeParse(res.body);
  if (!answer.success) {
    // Secrets hidden before the cut: one the cut runs through would no longer match, and its head go out.
    const said = JSON.stringify(res.body);
    const got = said === undefined ? 'nothing' : clip(hideWebhookPath(redact(said), gate.url), 120);
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

/**
 * The note naming the webhook by its origin only. A webhook URL may carry its secret in the path
 * (Slack's /services/T…/B…/<secret>) as well as in the query, the variable holding it need not be
 * named like a secret, and the note reaches the PR comment: the path and query are cut wherever
 * they appear (in the URL of an error, or echoed in the service's own error text).
 */
function hideWebhookPath(note: string, url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return note;
  }
  let shown = note.replaceAll(safeUrl(url), u.origin);
  // A path as short as /check is no secret, and cutting it would garble the service's own words.
  const parts = [u.pathname, decoded(u.pathname)].filter((p) => p.length >= MIN_SECRET_PATH);
  for (const part of [...parts, u.search.slice(1)]) if (part) shown = shown.replaceAll(part, '…');
  return shown;
}
