// Request checking by the fake GitHub: authentication, routing, parameters, bodies, headers.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';

const HEAD = 'b'.repeat(40);
let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub({ owner: 'acme', repo: 'models' });
  fake.setPullRequest(7, { baseSha: 'a'.repeat(40), headSha: HEAD, files: [] });
});
afterEach(async () => {
  await fake.close();
  // whatever the client sent, every answer the fake gave validated against GitHub's description
  expect(fake.violations.filter((v) => v.includes("the fake's"))).toEqual([]);
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: 'token t0ken' },
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

describe('a valid request', () => {
  test('is answered like GitHub, with no violation', async () => {
    const res = await call('GET', '/repos/acme/models/pulls/7');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(res.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]+$/);
    expect(res.json).toMatchObject({ number: 7, head: { sha: HEAD } });
    expect(fake.violations).toEqual([]);
    expect(fake.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/repos/acme/models/pulls/7',
        status: 200,
        operationId: 'pulls/get',
      }),
    ]);
  });

  test('accepts Bearer tokens and owner/repo in any case', async () => {
    const res = await call('GET', '/repos/ACME/Models/pulls/7', undefined, { authorization: 'Bearer ghs_x' });
    expect(res.status).toBe(200);
    expect(fake.violations).toEqual([]);
  });
});

describe('an unknown endpoint', () => {
  test('answers 404 Not Found like GitHub and records a violation', async () => {
    const res = await call('GET', '/repos/acme/models/issues/7');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
    expect(fake.violations).toEqual([
      expect.stringContaining('GET /repos/acme/models/issues/7: no such endpoint'),
    ]);
  });

  test('includes a documented path with a method the subset does not have', async () => {
    const res = await call('PATCH', '/repos/acme/models/pulls/7', { title: 'x' });
    expect(res.status).toBe(404);
    expect(fake.violations).toHaveLength(1);
  });

  test('includes another repository', async () => {
    const res = await call('GET', '/repos/acme/other/pulls/7');
    expect(res.status).toBe(404);
    expect(fake.violations).toEqual([expect.stringContaining('is not acme/models, the one the fake serves')]);
  });
});

describe('authentication and headers', () => {
  test('no Authorization answers 401 Requires authentication', async () => {
    const res = await call('GET', '/repos/acme/models/pulls/7', undefined, {});
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ message: 'Requires authentication' });
    expect(fake.violations).toEqual([expect.stringContaining('no Authorization header')]);
  });

  test('a malformed Authorization answers 401 Bad credentials', async () => {
    const res = await call('GET', '/repos/acme/models/pulls/7', undefined, { authorization: 't0ken' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ message: 'Bad credentials' });
    expect(fake.violations).toHaveLength(1);
  });

  test('an Accept GitHub cannot serve answers 415', async () => {
    const res = await call('GET', '/repos/acme/models/pulls/7', undefined, {
      authorization: 'token x',
      accept: 'text/html',
    });
    expect(res.status).toBe(415);
    expect(fake.violations).toEqual([expect.stringContaining('unsupported Accept header')]);
  });

  test('a body that is not JSON, or not sent as JSON, is refused', async () => {
    const notJson = await call('POST', '/repos/acme/models/issues/7/comments', '{body:', {
      authorization: 'token x',
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ message: 'Problems parsing JSON' });
    const form = await call('POST', '/repos/acme/models/issues/7/comments', 'body=hi', {
      authorization: 'token x',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(fake.violations).toHaveLength(2);
    expect(fake.comments(7)).toEqual([]);
  });
});

describe('validation against the OpenAPI description', () => {
  test('an invalid body answers 422 Validation Failed and records a violation', async () => {
    const deployment = await call('POST', '/repos/acme/models/deployments', {
      ref: HEAD,
      environment: 'canary',
      required_contexts: [],
    });
    expect(deployment.status).toBe(201);
    const id = (deployment.json as { id: number }).id;
    const res = await call('POST', `/repos/acme/models/deployments/${id}/statuses`, { state: 'bogus' });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'DeploymentStatus', field: 'state', code: 'invalid' }],
      documentation_url: 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status',
    });
    expect(fake.violations).toEqual([
      expect.stringMatching(
        /request does not match repos\/create-deployment-status: state must be equal to one of the allowed values/,
      ),
    ]);
    expect(fake.deployments()[0]?.statuses).toEqual([]);
  });

  test('a missing required field, a wrong type and a missing body are refused', async () => {
    expect((await call('POST', '/repos/acme/models/issues/7/comments', { text: 'hi' })).status).toBe(422);
    expect((await call('POST', '/repos/acme/models/issues/7/comments', { body: 42 })).status).toBe(422);
    expect((await call('POST', '/repos/acme/models/issues/7/comments')).status).toBe(422);
    expect(fake.violations).toHaveLength(3);
    expect(fake.violations[0]).toMatch(/body wasn't supplied/);
    expect(fake.violations[1]).toMatch(/body must be string/);
  });

  test('path and query parameters are checked against their schemas', async () => {
    expect((await call('GET', '/repos/acme/models/pulls/seven')).status).toBe(422);
    expect((await call('GET', '/repos/acme/models/issues/7/comments?per_page=lots')).status).toBe(422);
    expect((await call('GET', '/repos/acme/models/issues/7/comments?since=yesterday')).status).toBe(422);
    expect(fake.violations).toHaveLength(3);
    expect(fake.violations[0]).toMatch(/pull_number "seven": must be integer/);
  });

  test('an undeclared query parameter is a violation, but answered as GitHub would (ignored)', async () => {
    const res = await call('GET', '/repos/acme/models/issues/7/comments?perPage=100');
    expect(res.status).toBe(200);
    expect(fake.violations).toEqual([
      expect.stringContaining('query parameters perPage are not parameters of issues/list-comments'),
    ]);
  });
});
