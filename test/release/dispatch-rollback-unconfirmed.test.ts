import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { httpRollbackWorld } from '../support/engine-ports.js';
import { sha } from '../support/model-config.js';

// `command: rollback` on an http serving layer (a real server on 127.0.0.1) that takes the change
// but whose GET /traffic answers 500 after it: once (the rollback failed, "run the rollback again",
// nothing recorded, though v1 served), or until the settle-timeout (it said the rollback failed,
// not that the platform accepted it and what probably serves). Time runs on a FakeClock.

/** How the n-th GET /traffic after the change is answered: undefined serves normally. */
type ReadFault = (n: number) => { status: number; body: unknown } | undefined;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A serving layer to docs/http-target.openapi.yaml serving v2, its reads after a change answered by `fault`. */
async function servingLayer(fault: ReadFault) {
  const layer = { served: { stable: { version: 'v2' } } as TrafficState, puts: 0, gets: 0, fault };
  let readsSinceChange = -1;
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    // A canary (a PR's candidate) needs the capabilities first.
    if (req.url?.endsWith('/capabilities')) return send(200, { strategies: ['canary'] });
    if (req.method === 'PUT') {
      layer.puts += 1;
      layer.served = JSON.parse(text);
      readsSinceChange = 0;
      return send(200, { ...layer.served, updating: false });
    }
    layer.gets += 1;
    const faulty = readsSinceChange >= 0 ? layer.fault(++readsSinceChange) : undefined;
    if (faulty) return send(faulty.status, faulty.body);
    send(200, { ...layer.served, updating: false });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  return { layer, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** fraud serving v2 (promoted from v1 by PR #5, on record) on the serving layer; settle-timeout 1m. */
async function world(fault: ReadFault, files: Record<string, Record<string, string>> = {}) {
  const platform = await servingLayer(fault);
  // The shared http rollback world: fraud on the layer's http target, a file ledger, a FakeClock.
  const { config, ports, ledger, rollback } = await httpRollbackWorld(platform.url, {
    settle: 'settle-timeout: 1m, poll-interval: 5s',
    promotion: { pr: 5 },
    files,
  });
  const history = async () =>
    (await ledger.history('fraud')).map((e) => `${e.kind} ${e.previous}->${e.version}`);
  return {
    platform: platform.layer,
    url: platform.url,
    rollback: () => rollback(),
    history,
    config,
    ports,
    ledger,
  };
}

const timedOut = { status: 500, body: { error: 'read replica timed out' } };

describe('a rollback on an http serving layer whose reads fail after it took the change', () => {
  it.each([
    ['the look while the change settles', 1],
    ['the read-back after it', 2],
  ])('%s answering 500 once: confirmed by reading again, and recorded', async (_, failing) => {
    const w = await world((n) => (n === failing ? timedOut : undefined));
    const result = await w.rollback();
    expect(result.rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(w.platform.served).toEqual({ stable: { version: 'v1' } });
    expect(await w.history()).toEqual(['promotion v1->v2', 'rollback v2->v1']);
  });

  it('never read back within the settle-timeout: says it was accepted and is unconfirmed; a re-run records it', async () => {
    // The look while it settles answers; every read after that times out upstream.
    const w = await world((n) => (n >= 2 ? timedOut : undefined));
    await expect(w.rollback()).rejects.toThrow(
      `rollback fraud from v2 to v1 is unconfirmed: serving layer at ${w.url} accepted the change to v1 100% but never confirmed it: reading it back kept failing until its settle-timeout (1m) ran out, 1m after the change was sent (a read every 5s, its poll-interval); the last read failed with: serving layer at ${w.url} failed GET /traffic (HTTP 500): read replica timed out; v1 alone probably serves now, but nothing is recorded until a read confirms it; re-running is safe, once the platform answers reads: a run with the same inputs records the rollback, changing no traffic, if v1 serves, and makes the change again if v2 still does`,
    );
    expect(await w.history()).toEqual(['promotion v1->v2']);

    // What it says, done: the platform answers reads again, and a re-run records the rollback.
    w.platform.fault = () => undefined;
    const again = await w.rollback();
    expect(again.rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(await w.history()).toEqual(['promotion v1->v2', 'rollback v2->v1']);
    expect(w.platform.puts).toBe(1);
  });
});

// A read that answered, with what model-gate cannot read (a body of another format, a 400 to the
// read itself), gets the same answer again: it was read again every poll-interval for the whole
// settle-timeout (10m by default), then the run said "v1 alone probably serves now", which that
// read had not shown. It fails at once, with the platform's answer, as before read-backs waited.
const badBody = { status: 200, body: { serving: 'v1' } };
const readRefused = { status: 400, body: { error: 'unknown query parameter' } };

describe('a rollback whose read-back answers what model-gate cannot read', () => {
  it.each([
    [
      'a body of another format',
      badBody,
      'answered GET /traffic with an unexpected body: stable: Invalid input: expected object, received undefined',
    ],
    ['HTTP 400', readRefused, 'refused GET /traffic (HTTP 400): unknown query parameter'],
  ])('%s: fails at once with what it answered, not as an unconfirmed change', async (_, answer, said) => {
    const w = await world((n) => (n >= 2 ? answer : undefined));
    await expect(w.rollback()).rejects.toThrow(
      `rollback fraud from v2 to v1 failed (serving layer at ${w.url} ${said}); what serves could not be read; nothing is recorded: run the rollback again once the platform answers`,
    );
    // The read before the change, the look while it settles, its read-back and one read again.
    expect(w.platform.gets).toBe(4);
    expect(await w.history()).toEqual(['promotion v1->v2']);
  });
});

// A 400 to GET /traffic was taken as the platform refusing the rollback itself: the run said to set
// to-version to a version the platform has, while the PUT had taken and v1 served.
describe('a rollback whose every read after the change answers HTTP 400', () => {
  it('is no refused rollback: it does not say to pick another version, as v1 serves', async () => {
    const w = await world(() => readRefused);
    const failed = await w.rollback().then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(w.platform.served).toEqual({ stable: { version: 'v1' } });
    expect(failed).toBe(
      `rollback fraud from v2 to v1 failed (serving layer at ${w.url} refused GET /traffic (HTTP 400): unknown query parameter); what serves could not be read; nothing is recorded: run the rollback again once the platform answers`,
    );
  });
});

describe('a rollback with a candidate in flight whose withdrawal is never read back', () => {
  it("the PR's comment says the candidate is probably withdrawn, unconfirmed, not that the rollback did not take", async () => {
    // PR #7 moves fraud from v2 to v3: its candidate at 10% when the rollback comes.
    const files = {
      [sha(1)]: { 'fraud.yaml': 'version: v2\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v3\n' },
    };
    const w = await world(() => undefined, files);
    const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
    await handlePullRequest(w.config, event, w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    expect(w.platform.served).toEqual({ stable: { version: 'v2' }, canary: { version: 'v3', weight: 10 } });

    // From the rollback's change on, the look while it settles answers, every read after it times out.
    const before = w.platform.puts;
    w.platform.fault = (n) => (w.platform.puts > before && n >= 2 ? timedOut : undefined);
    // Only a run of the rollback records it in the ledger's history: the PR job's retry would not.
    await expect(w.rollback()).rejects.toThrow(
      "its candidate is probably out of service, but until a read confirms it the withdrawal stays pending and the rollback is not in the ledger's history: run the rollback again once the platform answers reads, which records it (changing no traffic if v1 serves already); a re-run of the PR's job or the next schedule tick settles the withdrawal but records no rollback",
    );
    expect(w.platform.served).toEqual({ stable: { version: 'v1' } });

    const recorded = (await w.ledger.release('fraud')) as Release;
    const comment = renderMarkdown(w.config, { releases: [recorded], skipped: [] }, { now: 0 });
    expect(comment).toContain(
      '## model-gate: ⚠️ Rollback unconfirmed: a candidate may still get live traffic',
    );
    expect(comment).toContain(
      `- fraud v3 is probably withdrawn: the platform accepted the rollback to v1 by workflow\\_dispatch that was to withdraw it, but no read has confirmed it yet (serving layer at ${w.url} accepted the change to v1 100% but never confirmed it`,
    );
    expect(comment).not.toContain('could not be withdrawn');
    expect(comment).not.toContain('did not take');

    // What it says, done: once reads answer, the rollback run again records it, changing no traffic.
    w.platform.fault = () => undefined;
    const puts = w.platform.puts;
    await w.rollback();
    expect(await w.history()).toEqual(['promotion v1->v2', 'rollback v2->v1']);
    expect(w.platform.puts).toBe(puts);
  });
});

// The record of an unconfirmed rollback dropped what it was to serve (v1), so the re-run that found
// v3 gone said "left v2 serving, not v1 … did not take" while v1 served.
describe('an unconfirmed rollback whose candidate a later run finds withdrawn', () => {
  it('the record keeps what the rollback was to serve: the report says v1 serves, not that the rollback did not take', async () => {
    const files = {
      [sha(1)]: { 'fraud.yaml': 'version: v2\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v3\n' },
    };
    const w = await world(() => undefined, files);
    const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
    const job = () =>
      handlePullRequest(w.config, event, w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    await job();
    const before = w.platform.puts;
    w.platform.fault = (n) => (w.platform.puts > before && n >= 2 ? timedOut : undefined);
    await expect(w.rollback()).rejects.toThrow('its candidate is probably out of service');
    expect(w.platform.served).toEqual({ stable: { version: 'v1' } });

    // The platform answers reads again: a re-run of the PR's job settles the pending withdrawal.
    w.platform.fault = () => undefined;
    await job();
    expect(w.platform.served).toEqual({ stable: { version: 'v1' } });
    const settled = (await w.ledger.release('fraud')) as Release;
    expect(settled.withdrawPending).toBeUndefined();
    const comment = renderMarkdown(w.config, { releases: [settled], skipped: [] }, { now: 0 });
    expect(settled.ending?.serves).toBe('v1');
    // As the rollback's error says: the PR job settles the release, but records no rollback.
    expect(await w.history()).toEqual(['promotion v1->v2']);
    expect(comment).toContain(
      '- fraud v3 was withdrawn: rolled back to v1 by workflow\\_dispatch; v3 withdrawn;',
    );
    expect(comment).toContain('read replica timed out; v3 withdrawn on a later try');
    expect(comment).not.toContain('left v2 serving');
    expect(comment).not.toContain('did not take');
  });
});
