import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelConfig, SandboxTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { confirmingTarget, UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { sandboxTarget } from '../../src/targets/sandbox-target.js';
import { trafficFromShares } from '../../src/targets/split.js';
import type { Target } from '../../src/targets/target.js';
import { fraudCanaryOn } from '../support/model-config.js';

// A read-back that answered, with a state model-gate cannot read (three versions live, a sandbox
// state of another shape, a 400 to the read), was read again for the whole settle-timeout and
// then reported as an unconfirmed change ("v1 alone probably serves"). The same read gets the same
// answer: the change fails at once, with that answer, as itself. Time runs on a FakeClock.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A sandbox admin API on 127.0.0.1 that takes the PUT and answers every GET after it with `read`. */
async function sandboxAnswering(read: { status: number; body: unknown }) {
  const seen = { gets: 0 };
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'PUT') return send(200, JSON.parse(text));
    seen.gets += 1;
    send(read.status, read.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** fraud on the sandbox at `url`, its target and metrics (fraudCanaryOn). */
const fraudOn = (url: string): ModelConfig =>
  fraudCanaryOn(`{ type: sandbox, url: "${url}" }`, `{ type: sandbox, url: "${url}" }`).model;

/** The rollback's change to v1, read back patiently: the error it fails with. */
async function rollBack(target: Target, model: ModelConfig): Promise<unknown> {
  const change = confirmingTarget(target, model, new FakeClock());
  return reconcile(change, withdrawTraffic('v1')).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('a rollback whose read-back answers a state model-gate cannot read', () => {
  it.each([
    [
      'an unexpected traffic state',
      { status: 200, body: { serving: 'v1' } },
      'answered with an unexpected traffic state',
    ],
    [
      'HTTP 400 to the read',
      { status: 400, body: { error: 'unknown model fraud' } },
      'refused: unknown model fraud',
    ],
  ])(
    'the sandbox answering %s: fails after one read, as itself, no refused change',
    async (_, read, said) => {
      const sandbox = await sandboxAnswering(read);
      const model = fraudOn(sandbox.url);
      const err = await rollBack(sandboxTarget(model.target as SandboxTargetConfig, 'fraud'), model);
      expect((err as Error).message).toBe(`sandbox fraud at ${sandbox.url} ${said}`);
      expect(err).not.toBeInstanceOf(UnconfirmedChange);
      // A read's 400 says nothing of the change, which took: no "set to-version to another version".
      expect(err).not.toBeInstanceOf(TargetRefusedError);
      expect(sandbox.seen.gets).toBe(1);
    },
  );

  it('a platform splitting live traffic between three versions: fails after one read, as itself', async () => {
    const model = fraudOn('http://127.0.0.1:1');
    let reads = 0;
    // A platform whose read maps its shares to a split (split.ts), as Azure ML and Vertex do.
    const platform: Target = {
      description: 'endpoint fraud',
      write: async (_: TrafficState) => undefined,
      read: async () => {
        reads += 1;
        const shares = [
          { version: 'v1', percent: 80 },
          { version: 'v2', percent: 10 },
          { version: 'v3', percent: 10 },
        ];
        return trafficFromShares(shares, {}, 'endpoint fraud');
      },
    };
    const err = await rollBack(platform, model);
    expect((err as Error).message).toBe(
      "endpoint fraud splits live traffic between 3 versions (v1 80%, v2 10%, v3 10%); model-gate drives one stable version and one candidate: remove the others' traffic first",
    );
    expect(reads).toBe(1);
  });
});
