/**
 * A real HTTP server on 127.0.0.1 for contract tests of metric sources: every request is
 * recorded (method, path, query, headers) and answered by a handler written to the backend's
 * published contract. A handler may hang to test timeouts; close() cuts hanging sockets.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Reply {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (for bodies that are not JSON). */
  text?: string;
  headers?: Record<string, string>;
  /** Never answer. */
  hang?: boolean;
}

export interface JsonServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startJsonServer(handle: (req: Recorded) => Reply): Promise<JsonServer> {
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    requests.push(recorded);
    req.resume();
    req.on('end', () => {
      const reply = handle(recorded);
      if (reply.hang) return;
      const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      res.writeHead(reply.status, {
        'content-type': reply.text === undefined ? 'application/json' : 'text/plain',
        'content-length': Buffer.byteLength(text),
        ...reply.headers,
      });
      res.end(text);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
