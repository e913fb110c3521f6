import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { call } from './helpers.js';

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
let predictUrl: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 2,
  });
  predictUrl = `${sandbox.url}/models/${MODEL}/predict`;
});
afterAll(() => sandbox.close());

describe('predictions', () => {
  it('answers with the model, version, slot, score and prediction', async () => {
    const res = await call('POST', predictUrl, { features: [2, -1, 0.5, 0], id: 'row-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-model-gate-slot')).toBe('stable');
    expect(res.body).toEqual({
      model: MODEL,
      version: 'v1',
      slot: 'stable',
      score: expect.any(Number),
      prediction: 1,
    });
  });

  it('returns a null prediction for the inputs the model cannot judge', async () => {
    const res = await call('POST', predictUrl, { features: [0, 0, 0, 3] }); // v1 nullWhen feature 3 > 2.58
    expect(res.status).toBe(200);
    expect(res.body.prediction).toBeNull();
    expect(res.body.score).toEqual(expect.any(Number));
  });

  it('answers 500 "model error" naming the model, version and slot when the model fails', async () => {
    const res = await call('POST', predictUrl, { features: [0, 0, 3, 0] }); // v1 errorWhen feature 2 > 2.88
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'model error', model: MODEL, version: 'v1', slot: 'stable' });
    expect(res.headers.get('x-model-gate-slot')).toBe('stable');
  });
});

describe('bad requests', () => {
  it.each([
    ['{"features": [1, 2', 'request body is not valid JSON'],
    ['', 'request body is empty'],
    [[1, 2, 3, 4], 'request body must be a JSON object'],
    [{}, 'features: must be an array of 4 numbers, got nothing'],
    [{ features: 'abc' }, 'features: must be an array of 4 numbers, got string "abc"'],
    [{ features: [1, 2, 3] }, 'features: must have 4 numbers, got 3'],
    [{ features: [1, 2, 'x', 4] }, 'features[2]: must be a finite number, got "x"'],
    [{ features: [1, 2, null, 4] }, 'features[2]: must be a finite number, got null'],
    // JSON reads 1e999 as Infinity, which JSON would write back as null: say what was sent.
    [
      '{"features": [0, 0, 0, 1e999]}',
      'features[3]: must be a finite number, got a number too large (beyond 1.8e308)',
    ],
    [
      '{"features": [-1e999, 0, 0, 0]}',
      'features[0]: must be a finite number, got a number too large (beyond -1.8e308)',
    ],
    [{ features: [1, 2, 3, 4], id: 5 }, 'id: must be a string'],
    [{ features: [1, 2, 3, 4], extra: true }, 'extra: unknown field'],
  ])('refuses %j with 400: %s', async (body, message) => {
    const res = await call('POST', predictUrl, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a body over 64 kB with 413, declared or streamed', async () => {
    const big = JSON.stringify({ features: [1, 2, 3, 4], id: 'x'.repeat(70_000) });
    const declared = await call('POST', predictUrl, big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toBe('request body is larger than 65536 bytes');

    // Chunked, no content-length: the limit is enforced while reading.
    const streamed = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request(
        predictUrl,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10_000));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toEqual({ error: 'request body is larger than 65536 bytes' });

    // The sandbox still serves afterwards.
    expect((await call('POST', predictUrl, { features: [0, 0, 0, 0] })).status).toBe(200);
  });

  it('answers 404 for an unknown model or route and 405 for a wrong method', async () => {
    const model = await call('POST', `${sandbox.url}/models/nope/predict`, { features: [0, 0, 0, 0] });
    expect(model.status).toBe(404);
    expect(model.body.error).toBe('unknown model "nope"; served models: fraud-detector');
    const route = await call('GET', `${sandbox.url}/nowhere`);
    expect(route.status).toBe(404);
    expect(route.body.error).toContain('no route GET /nowhere');
    // Every route is listed, the health check included.
    expect(route.body.error).toMatch(/GET \/metrics\.json, GET \/healthz$/);
    const method = await call('GET', predictUrl);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
    expect(method.body.error).toBe(`GET is not allowed on /models/${MODEL}/predict; use POST`);
    const encoding = await call('GET', `${sandbox.url}/models/%E0%A4%A/predict`);
    expect(encoding.status).toBe(400);
  });
});
