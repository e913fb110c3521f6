/** Small HTTP helpers for the sandbox tests: real requests, parsed JSON back. */
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
