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
  // A refused oversize body is not read to the end: close the connection rather than reuse it.
  const close: Record<string, string> = error.status === 413 ? { connection: 'close' } : {};
  sendJson(res, error.status, { error: error.message, ...error.extra }, { ...error.headers, ...close });
}

/** Reads and parses a JSON body; refuses more than MAX_BODY_BYTES with 413 without buffering it. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    req.resume(); // discard, so the socket can carry the 413 back
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
      req.resume();
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

const tooLarge = () => new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
