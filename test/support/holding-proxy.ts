import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the proxy sees it: method, path (with the query) and body text. */
export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export interface HoldingProxy {
  /** Base URL to give a job's GitHub client in place of the stand-in's. */
  readonly url: string;
  /**
   * The first request from now on that `match` accepts (asked of each request in turn) waits until
   * `meanwhile` settles, then goes on to the stand-in: another run acting between two of this job's.
   */
  holdNext(match: (req: ProxiedRequest) => boolean, meanwhile: () => Promise<unknown>): void;
  close(): Promise<void>;
}

/**
 * A real HTTP proxy on 127.0.0.1 in front of the GitHub stand-in at `upstream`. Each job of a race
 * talks through its own, so a test holds one job's request while another job goes ahead.
 */
export async function startHoldingProxy(upstream: string): Promise<HoldingProxy> {
  let held: { match: (req: ProxiedRequest) => boolean; meanwhile: () => Promise<unknown> } | undefined;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const seen = { method: req.method ?? 'GET', path: req.url ?? '/', body: raw.toString('utf8') };
    const hold = held;
    if (hold?.match(seen)) {
      held = undefined;
      await hold.meanwhile();
    }
    const url = new URL(seen.path, upstream);
    const forwarded = request(
      url,
      { method: seen.method, headers: { ...req.headers, host: url.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end(raw);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    holdNext(match, meanwhile) {
      held = { match, meanwhile };
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
