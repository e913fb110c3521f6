import { z } from 'zod';
import { duration, httpHeaders, isHttpUrl, limit, strict } from './fields.js';
import { describeValue } from './messages.js';

/** Most synthetic requests one smoke test may send (requests × repeat). */
export const SMOKE_MAX_REQUESTS = 1000;

const PLACEHOLDERS = ['{{model}}', '{{version}}'];

/** The URL template with its placeholders filled by harmless values, so it can be checked as a URL. */
function checkUrlTemplate(text: string, ctx: z.core.$RefinementCtx) {
  const unknown = text.match(/\{\{[^}]*\}\}/g)?.find((p) => !PLACEHOLDERS.includes(p));
  if (unknown) {
    ctx.addIssue({
      code: 'custom',
      input: text,
      message: `unknown placeholder ${unknown}; only {{model}} and {{version}} are filled in`,
    });
    return;
  }
  if (!isHttpUrl(text.replaceAll('{{model}}', 'm').replaceAll('{{version}}', 'v'))) {
    ctx.addIssue({
      code: 'custom',
      input: text,
      message: `expected an http:// or https:// URL (with {{model}} and {{version}} where needed), got ${describeValue(text)}`,
    });
  }
}

/**
 * Blue-green's smoke test: synthetic requests sent straight to green, before it takes any live
 * traffic. A golden set of inputs that must answer (and answer fast) catches a green that is
 * broken outright without exposing a single user to it.
 */
export const smokeSchema = strict({
  requests: z
    .array(z.record(z.string(), z.unknown()), {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? `expected a list of request bodies (JSON objects), got ${describeValue(issue.input)}`
          : undefined,
    })
    .min(1, { error: 'expected at least one request body, got an empty list' })
    .describe('Request bodies (JSON objects) sent to green in turn: a golden set of inputs.'),
  url: z
    .string()
    .superRefine(checkUrlTemplate)
    .optional()
    .describe(
      'Where green answers directly, with {{model}} and {{version}} filled in (URL-encoded). ' +
        'Default for the sandbox target: its /models/{{model}}/versions/{{version}}/predict.',
    ),
  headers: httpHeaders(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
    'Headers sent with every smoke request, e.g. "authorization: Bearer ${TOKEN}".',
  ).default({}),
  repeat: z.int().min(1).max(100).default(1).describe('How many times the set is sent (for latency).'),
  'max-errors': limit('Failed smoke requests (no answer, or not 2xx) tolerated; default 0.').default(0),
  'max-latency': duration('Highest p95 latency of the smoke requests (e.g. "300ms").').optional(),
  timeout: duration('How long one smoke request may take before it counts as failed.').prefault('10s'),
})
  .superRefine((s, ctx) => {
    const total = s.requests.length * s.repeat;
    if (total > SMOKE_MAX_REQUESTS) {
      ctx.addIssue({
        code: 'custom',
        input: s.repeat,
        path: ['repeat'],
        message: `${s.requests.length} requests × repeat ${s.repeat} = ${total} smoke requests; at most ${SMOKE_MAX_REQUESTS}`,
      });
    }
  })
  .transform((s) => ({
    requests: s.requests,
    ...(s.url === undefined ? {} : { url: s.url }),
    headers: s.headers,
    repeat: s.repeat,
    maxErrors: s['max-errors'],
    ...(s['max-latency'] === undefined ? {} : { maxLatencyMs: s['max-latency'] }),
    timeoutMs: s.timeout,
  }));
