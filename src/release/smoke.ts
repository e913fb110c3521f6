/**
 * Blue-green's smoke test: the configured request bodies sent straight to green, before it
 * takes live traffic. Green passes when at most `maxErrors` requests fail (no answer in time,
 * or not 2xx, whatever the body) and, if set, the p95 latency is within `maxLatencyMs`.
 */

import { performance } from 'node:perf_hooks';
import type { ModelConfig, SmokeConfig } from '../config/types.js';
import { requestText, textErrorText } from '../core/http-json.js';
import { counted } from '../core/text.js';
import { quantileOf } from '../stats/latency.js';

export interface SmokeResult {
  passed: boolean;
  /** One line for the phase history: what was sent, what failed, how fast. */
  note: string;
}

/** The URL that reaches `version` directly: the configured template, or the sandbox's own route. */
export function smokeUrl(model: ModelConfig, smoke: SmokeConfig, version: string): string {
  const t = model.target;
  const name = t.type === 'sandbox' ? (t.model ?? model.name) : model.name;
  const template =
    smoke.url ??
    (t.type === 'sandbox'
      ? `${t.url.replace(/\/+$/, '')}/models/{{model}}/versions/{{version}}/predict`
      : undefined);
  // The config check refuses a smoke test without a URL on any other target.
  if (template === undefined) throw new Error(`model-gate: unreachable: no smoke URL for ${model.name}`);
  return template
    .replaceAll('{{model}}', encodeURIComponent(name))
    .replaceAll('{{version}}', encodeURIComponent(version));
}

export async function runSmoke(smoke: SmokeConfig, url: string): Promise<SmokeResult> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let sent = 0;
  for (let round = 0; round < smoke.repeat; round++) {
    for (const [i, body] of smoke.requests.entries()) {
      sent++;
      const started = performance.now();
      try {
        // The status judges, not the body's format: a model may answer `fraud` as plain text.
        const res = await requestText('POST', url, body, smoke.timeoutMs, smoke.headers);
        if (res.status < 200 || res.status > 299) failures.push(`request ${i + 1}: ${textErrorText(res)}`);
      } catch (err) {
        failures.push(`request ${i + 1}: ${(err as Error).message}`);
      }
      latencies.push(performance.now() - started);
    }
  }
  const p95 = quantileOf({ samples: latencies }, 0.95) ?? 0;
  const slow = smoke.maxLatencyMs !== undefined && p95 > smoke.maxLatencyMs;
  const failed = failures.length > smoke.maxErrors;
  const errors =
    failures.length === 0
      ? '0 failed'
      : `${failures.length} failed (${[...new Set(failures)].slice(0, 3).join('; ')})`;
  const speed = `p95 ${ms(p95)}${slow ? ` above max-latency ${ms(smoke.maxLatencyMs as number)}` : ''}`;
  return {
    passed: !failed && !slow,
    note: `smoke: ${counted(sent, 'synthetic request')} to green, ${errors}${failed ? ` (max-errors ${smoke.maxErrors})` : ''}, ${speed}`,
  };
}

const ms = (x: number) => `${Math.round(x)} ms`;
