import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error as Prometheus's HTTP API answers it: its status and its JSON body's fields. */
export interface PrometheusError {
  status: number;
  errorType: string;
  error: string;
  /** Headers to answer with, e.g. a gateway's 429 `retry-after`. */
  headers?: Record<string, string>;
  /** A plain-text body instead of Prometheus's JSON, as a gateway (Cortex, Mimir, nginx) sends. */
  text?: string;
}

export interface PrometheusFront {
  url: string;
  close(): Promise<void>;
}

/**
 * A proxy in front of a real Prometheus (`upstream`, read per query: it may start later) that
 * answers a query with `errorFor()`'s error, in Prometheus's own JSON, when it gives one, and
 * passes the query through otherwise: a token refused, a query timed out, a gateway's rate limit,
 * for as long as a test says.
 */
export async function prometheusFront(
  upstream: () => string,
  errorFor: () => PrometheusError | undefined,
): Promise<PrometheusFront> {
  const server = createServer(async (req, res) => {
    const error = errorFor();
    if (error) {
      const type = error.text === undefined ? 'application/json' : 'text/plain';
      res.writeHead(error.status, { 'content-type': type, ...error.headers });
      return void res.end(
        error.text ?? JSON.stringify({ status: 'error', errorType: error.errorType, error: error.error }),
      );
    }
    const answer = await fetch(`${upstream()}${req.url}`);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
