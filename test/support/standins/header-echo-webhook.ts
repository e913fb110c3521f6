import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTraffic } from '../../../src/sandbox/traffic.js';

// A webhook gate's service that fails every check and, as a careless service does, quotes the
// request it was sent in its note: the URL's path and query and two headers holding secrets.

export interface EchoWebhook {
  port: number;
  close(): Promise<void>;
}

/** The service on 127.0.0.1: answers `fail` with the note `hook: path=<url> auth=<Authorization> org=<X-Scope-OrgID>`. */
export async function startHeaderEchoWebhook(): Promise<EchoWebhook> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const note = `hook: path=${req.url} auth=${req.headers.authorization} org=${req.headers['x-scope-orgid']}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ verdict: 'fail', note }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The webhook, and the traffic its gate's release needs: `close` stops both. */
export interface EchoGate {
  port: number;
  close(): Promise<void>;
}

/**
 * The header-echo webhook, and traffic (`rps` requests a second, seed 4) to fraud-detector on the
 * sandbox at `sandboxUrl`, so a release gated by it (echoWebhookConfig) has requests to judge.
 */
export async function startEchoGate(sandboxUrl: string, rps: number): Promise<EchoGate> {
  const traffic = startTraffic({ url: sandboxUrl, model: 'fraud-detector', rps, seed: 4 });
  const hook = await startHeaderEchoWebhook();
  return {
    port: hook.port,
    close: async () => {
      await traffic.stop();
      await hook.close();
    },
  };
}

/**
 * fraud-detector (its version in `versionFile`) on the sandbox at ${SANDBOX_URL}, gated by the
 * webhook on `port` alone, with secrets from the environment in its path, query and headers.
 */
export const echoWebhookConfig = (port: number, versionFile: string) => `version: 1
models:
  fraud-detector:
    source: { file: ${versionFile}, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - name: hook
        kind: webhook
        url: "http://127.0.0.1:${port}/services/T1/B2/\${HOOK_PATH}?k=\${HOOK_Q}"
        headers: { Authorization: "Bearer \${API_TOKEN}", X-Scope-OrgID: "\${ORG}" }
`;

/** The secrets echoWebhookConfig reads, but for API_TOKEN. */
export const ECHO_SECRETS = {
  ORG: 'tenantorg1234567',
  HOOK_PATH: 'hookpath0secret9',
  HOOK_Q: 'q_secret_77x',
};

/**
 * The secrets of `env` that `text` shows in any form: as written, percent-encoded, or with
 * backslashes before its punctuation (Markdown-escaped).
 */
export function shownSecrets(text: string, env: Record<string, string>): string[] {
  const unescaped = text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  return Object.values(env).filter((secret) =>
    [secret, encodeURIComponent(secret)].some((form) => unescaped.includes(form)),
  );
}
