/**
 * The webhook gate: at every look, POST the check of docs/webhook-gate.openapi.yaml to the
 * user's service and take its verdict. No answer, a non-2xx status or a body that is not an
 * answer is an error (counted by consecutive-error-limit), never a pass. A 429 is treated as a
 * metric source's (fetch-json.ts): a Retry-After within half the timeout is waited out and the
 * check sent once more; a later one leaves the look an error not counted until the reset. A 5xx
 * counts, as a metric source's does: consecutive-error-limit is what tolerates a passing fault.
 * An answer whose verdict is valid is taken whatever else in it breaks the contract (a note too
 * long, a value that is no number): a failing load test must fail the candidate, not read as an
 * error look that must-have-data: false would let pass. The note says what was left out.
 */
import { z } from 'zod';
import type { WebhookGateConfig } from '../config/types.js';
import { parsedOrUndefined, requestText, type TextResponse, textErrorText } from '../core/http-json.js';
import { redact } from '../core/redact.js';
import { askAfterRateLimit, rateLimitedWords, retryAfterMs } from '../core/retry-after.js';
import { safeUrl } from '../core/safe-url.js';
import { clip } from '../core/text.js';
import { decoded } from '../core/url-credentials.js';
import { parseJsonAllowingNaN } from '../metrics/fetch-json.js';
import type { Measurement } from '../release/types.js';
import type { StatisticalContext } from './ratio-gate.js';

/** The verdict of the Answer of docs/webhook-gate.openapi.yaml: the one field the gate cannot do without. */
const verdictSchema = z.enum(['pass', 'fail', 'waiting']);

/** The longest note the Answer may carry (docs/webhook-gate.openapi.yaml). */
const MAX_NOTE = 500;

/** The Answer's shape, quoted whole whenever an answer does not fit it. */
const ANSWER_SHAPE =
  '{"verdict": "pass" | "fail" | "waiting", "note"?: text of at most 500 characters, "value"?: number}';

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
  let res: TextResponse;
  try {
    res = await askAfterRateLimit(
      () => requestText('POST', gate.url, check, gate.timeoutMs, gate.headers),
      resetInMs,
      gate.timeoutMs,
    );
  } catch (err) {
    return { at, verdict: 'error', note: `the webhook did not answer: ${(err as Error).message}` };
  }
  if (res.status >= 300 && res.status <= 399)
    return { at, verdict: 'error', note: redirected(res, gate.url) };
  const waitMs = resetInMs(res);
  if (waitMs !== undefined) {
    const said = textErrorText(res);
    return {
      at,
      verdict: 'error',
      note: `the webhook is ${rateLimitedWords(waitMs, Date.now())}${said === 'HTTP 429' ? '' : ` (${said})`}; this look is not counted against consecutive-error-limit until then; if it keeps happening, lengthen the strategy's interval or raise the webhook's limit`,
      // On the look's clock, which the gate compares the next look's time with.
      rateLimitedUntil: at + waitMs,
    };
  }
  if (res.status < 200 || res.status > 299) {
    return { at, verdict: 'error', note: `the webhook answered ${res.status}: ${textErrorText(res)}` };
  }
  const body = parsedBody(res.text);
  if (body === undefined && res.text.trim() !== '')
    return { at, verdict: 'error', note: `the webhook answered ${res.status} with a body that is not JSON` };
  const verdict = isObject(body) ? verdictSchema.safeParse(body.verdict).data : undefined;
  if (!isObject(body) || verdict === undefined) {
    // Secrets hidden before the cut: one the cut runs through would no longer match, and its head go out.
    const said = JSON.stringify(body);
    const got = said === undefined ? 'nothing' : clip(hideWebhookPath(redact(said), gate.url), 120);
    return {
      at,
      verdict: 'error',
      note: `the webhook's answer is not one model-gate reads: ${brokenRule(body)}; an answer is ${ANSWER_SHAPE}; got ${got}`,
    };
  }
  const note = answerNote(body.note);
  const value = answerValue(body.value);
  const said = note.note ?? `the webhook answered ${verdict}`;
  const faults = [note.fault, value.fault].filter((f) => f !== undefined);
  return {
    at,
    verdict,
    note:
      faults.length === 0
        ? said
        : `${said}; the webhook's answer breaks its contract, its verdict counted all the same: ${faults.join('; ')}`,
    ...(value.value === undefined ? {} : { canary: value.value }),
  };
}

/**
 * The JSON of an answer, undefined for none or text that is not JSON. The bare NaN and Infinity
 * Python writes (json.dumps of a load test's p99 with nothing measured) are read as numbers, so
 * the verdict beside them still counts.
 */
const parsedBody = (text: string): unknown => parsedOrUndefined(text, parseJsonAllowingNaN);

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/** The answer's note, cut to the contract's length; what was wrong with it, if anything. */
function answerNote(note: unknown): { note?: string; fault?: string } {
  if (note === undefined || note === null) return {};
  if (typeof note !== 'string') return { fault: `its "note" is ${shown(note)}, not text, so it is left out` };
  if (note.length > MAX_NOTE)
    return {
      note: clip(note, MAX_NOTE),
      fault: `its "note" has ${note.length} characters, at most ${MAX_NOTE}, so it is cut`,
    };
  return { note };
}

/** The answer's value where it is a finite number; what was wrong with it, if anything. */
function answerValue(value: unknown): { value?: number; fault?: string } {
  if (value === undefined || value === null) return {};
  if (typeof value === 'number' && Number.isFinite(value)) return { value };
  if (typeof value === 'number')
    return { fault: `its "value" is ${value}, not a finite number, so no value is shown` };
  const unquote =
    typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
      ? ' (send it without quotes)'
      : '';
  return { fault: `its "value" is ${shown(value)}, not a number${unquote}, so no value is shown` };
}

/** In how many ms a 429's limit resets, as its Retry-After says; undefined for any other answer, or none said. */
const resetInMs = (res: TextResponse): number | undefined =>
  res.status === 429 ? retryAfterMs(res.retryAfter, Date.now()) : undefined;

/** Why a body gives no verdict, naming the field: `its "verdict" is "PASS", not "pass", "fail" or "waiting"`. */
function brokenRule(body: unknown): string {
  if (!isObject(body)) return 'it is not a JSON object';
  const { verdict } = body;
  if (verdict === undefined) return 'it has no "verdict"';
  return `its "verdict" is ${shown(verdict)}, not "pass", "fail" or "waiting"`;
}

/** A JSON value in a message: short, as JSON (`"212"` reads as the string it is), secrets hidden. */
const shown = (x: unknown): string =>
  clip(redact(typeof x === 'number' ? String(x) : (JSON.stringify(x) ?? String(x))), 40);

/**
 * A redirect, in words: model-gate does not follow one, since the check (and its headers, a
 * bearer token among them) would go wherever the redirect points; the gate's url must say where.
 */
function redirected(res: TextResponse, url: string): string {
  const where = res.location === undefined ? undefined : resolved(res.location, url);
  return `the webhook redirected (${res.status}) ${where ? `to ${where}` : 'without saying where (no Location)'}: model-gate does not follow redirects, so the check and its headers never go elsewhere; update the gate's "url" to the address it redirects to`;
}

/**
 * Where a Location points, resolved against the gate's URL: its origin, and its path only where
 * too short to hold a secret (a webhook's path may, as the gate's own does); no credentials, and
 * `?…` for a query string.
 */
function resolved(location: string, gateUrl: string): string {
  let u: URL;
  try {
    u = new URL(location, gateUrl);
  } catch {
    return '(an invalid URL)';
  }
  const query = u.search ? '?…' : '';
  if (decoded(u.pathname).length < MIN_SECRET_PATH) return `${u.origin}${u.pathname}${query}`;
  if (u.pathname === new URL(gateUrl).pathname) return `${u.origin} (the same path${query})`;
  return `${u.origin}/… (path hidden: it may hold a secret${query ? ', as may its query' : ''})`;
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
