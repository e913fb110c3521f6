/** JSON in and out over node:http, with the size limit and error shape every route shares. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

/** Response header naming the slot that answered a prediction. */
export const SLOT_HEADER = 'x-model-gate-slot';
/**
 * Optional request header: requests with the same value stick to the same slot. A traffic state
 * with `sticky: { header }` routes by that header instead (and sends requests without it to stable).
 */
export const STICKY_HEADER = 'x-user-id';

/** An error answered to the client as `{ "error": message }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  // No `connection: close` on a 413: closing while the client still uploads cuts its upload, and
  // it sees a broken pipe instead of the answer. The rest of the body is read and thrown away.
  sendJson(res, error.status, { error: error.message, ...error.extra }, error.headers);
}

/** Reads and parses a JSON body; refuses more than MAX_BODY_BYTES with 413 without buffering it. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    discardRest(req, 0);
    throw tooLarge();
  }
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Keep draining (not destroying) the request: destroying it would also kill the response.
      req.off('data', onData);
      discardRest(req, size);
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
  if (text.trim() === '') throw new HttpError(400, 'request body is empty: expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Past this much of a refused body thrown away, its connection is cut: the 413 went out long
 * before, and an endless upload would otherwise keep the server reading.
 */
export const MAX_DISCARDED_BYTES = 32 * 1024 * 1024;

/** Reads the rest of a refused body and throws it away, so a client still sending gets the 413. */
function discardRest(req: IncomingMessage, alreadyRead: number): void {
  let size = alreadyRead;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_DISCARDED_BYTES) req.socket.destroy();
  });
  req.resume();
}

const tooLarge = () => new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
