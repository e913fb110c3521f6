/** Small HTTP helpers for the sandbox tests: real requests, parsed JSON back. */
import { Agent, request } from 'node:http';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
): Promise<JsonResponse<T>> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as T };
}

export interface Prediction {
  model: string;
  version: string;
  slot: 'stable' | 'canary';
  score: number;
  prediction: 0 | 1 | null;
  error?: string;
}

/** Sends `rows` predictions, `concurrency` at a time, and returns every response in order. */
export async function predictMany(
  url: string,
  rows: number[][],
  concurrency = 32,
): Promise<JsonResponse<Prediction>[]> {
  const out: JsonResponse<Prediction>[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      out[i] = await call<Prediction>('POST', url, { features: rows[i] });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Binomial interval n*p ± z*sqrt(n p (1-p)); z = 3.29 is two-sided 99.9%. */
export function binomialInterval(n: number, p: number, z = 3.29): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - z * sd, n * p + z * sd];
}

/** The first `n` feature vectors of a seeded synthetic stream. */
export function featureRows(rows: Iterator<{ features: number[] }>, n: number): number[][] {
  return Array.from({ length: n }, () => (rows.next().value as { features: number[] }).features);
}

/** Waits until the wall clock enters a new second, so a `since` at that boundary excludes what came before. */
export async function nextSecond(): Promise<number> {
  const boundary = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await new Promise((resolve) => setTimeout(resolve, boundary - Date.now() + 1));
  return boundary;
}

/** Runs `task` over `items`, `concurrency` at a time, and returns the results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Keep-alive sockets for `post`: about twice as cheap per request as fetch, which matters for thousands. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs JSON over node:http with keep-alive and parses the JSON answer. */
export function post<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...headers,
        },
      },
      (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          answer += c;
        });
        res.once('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          try {
            resolve({ status: res.statusCode ?? 0, headers: h, body: JSON.parse(answer) as T });
          } catch (e) {
            reject(e);
          }
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(text);
  });
}

/** One prediction with extra headers (a sticky key), its JSON answer and the answering slot header. */
export const predictWith = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  post<Prediction & { instance?: string }>(url, body, headers);

/** Polls (briefly) until `done` holds; a bound, not a timing assertion. */
export async function until(
  done: () => boolean | Promise<boolean>,
  what: string,
  tries = 1000,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting until ${what}`);
}

/** The p-quantile (0..1) of a sample, nearest rank. */
export function quantile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
