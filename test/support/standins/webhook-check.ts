import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

export const WEBHOOK_OPENAPI = fileURLToPath(
  new URL('../../../docs/webhook-gate.openapi.yaml', import.meta.url),
);

export interface CheckService {
  url: string;
  /** What the next checks are answered: a status and a body (sent as JSON unless a string). */
  answer: { status: number; body: unknown; hang?: boolean };
  checks: { body: Record<string, unknown>; authorization?: string }[];
  /** Checks refused for not matching docs/webhook-gate.openapi.yaml, with Ajv's reasons. */
  contractViolations: string[];
  close(): Promise<void>;
}

/**
 * A check service written to docs/webhook-gate.openapi.yaml: every request body is validated
 * against the document's `Check` (a mismatch is a 400 and a recorded violation), and answered
 * with whatever the test set (a verdict, an error, garbage, or no answer at all).
 */
export async function startCheckService(): Promise<CheckService> {
  const doc = parse(readFileSync(WEBHOOK_OPENAPI, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi');
  const validCheck = ajv.compile({ $ref: 'openapi#/components/schemas/Check' });
  const service: CheckService = {
    url: '',
    answer: { status: 200, body: { verdict: 'waiting' } },
    checks: [],
    contractViolations: [],
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      if (req.method !== 'POST' || !validCheck(body)) {
        const why = `${req.method} ${JSON.stringify(body)}: ${ajv.errorsText(validCheck.errors)}`;
        service.contractViolations.push(why);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: why }));
        return;
      }
      service.checks.push({
        body: body as Record<string, unknown>,
        authorization: req.headers.authorization,
      });
      const { status, body: answer, hang } = service.answer;
      if (hang) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  service.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return service;
}
