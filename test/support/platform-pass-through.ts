import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JsonResponse, requestJson } from '../../src/core/http-json.js';

/** A request to the platform: its method and JSON body. */
export interface PlatformRequest {
  method: 'GET' | 'PUT';
  body: unknown;
}

/**
 * What the pass-through does with a request: `forward()` hands it to the sandbox; an answer (or
 * none: the connection is hung up, as a lost runner or a dropped link leaves it) goes back.
 */
export type PlatformHook = (
  request: PlatformRequest,
  forward: () => Promise<JsonResponse>,
) => Promise<JsonResponse | undefined>;

/**
 * The sandbox's traffic API as a target sees it, every request going through `hook`: a test
 * holds, refuses or loses a traffic change there, or looks at what the job had done by then.
 */
export async function platformPassThrough(sandboxUrl: string, hook: PlatformHook) {
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const request = { method: req.method as 'GET' | 'PUT', body: text ? JSON.parse(text) : undefined };
    const forward = () => requestJson(request.method, `${sandboxUrl}${req.url}`, request.body);
    const answer = await hook(request, forward);
    if (!answer) return void res.destroy();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/**
 * A pass-through to the sandbox at `sandboxUrl` that refuses withdrawals (a PUT with no canary: the
 * stable version alone) with a 503 saying `error` while `refusing()`; the rest goes through.
 */
export const refusingWithdrawals = (
  sandboxUrl: string,
  error: string,
  refusing: () => boolean = () => true,
) =>
  platformPassThrough(sandboxUrl, async ({ method, body }, forward) => {
    const withdrawal = method === 'PUT' && !(body as { canary?: unknown } | undefined)?.canary;
    return withdrawal && refusing() ? { status: 503, body: { error } } : forward();
  });

/**
 * fraud-detector (its version in `file`), its traffic changed through a pass-through at
 * \${PLATFORM_URL} and its metrics read from the sandbox at \${SANDBOX_URL}: `strategy` (a YAML flow
 * map), judged by its error rate (max 5%).
 */
export const fraudBehindPassThrough = (file: string, strategy: string) => `version: 1
models:
  fraud-detector:
    source: { file: ${file}, key: version }
    target: { type: sandbox, url: "\${PLATFORM_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

/** A job's workspace: `config` as its .github/model-gate.yml. */
export async function workspaceWith(config: string, prefix: string): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), config);
  return workspace;
}
