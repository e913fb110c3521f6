// GitHub's behaviour as the fake reproduces it, through plain fetch.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const OTHER = 'c'.repeat(40);
let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub({ owner: 'acme', repo: 'models' });
  fake.setPullRequest(7, {
    baseSha: BASE,
    headSha: HEAD,
    files: [
      { filename: 'models/fraud/model.yaml', status: 'modified' },
      { filename: 'models/new/model.yaml', status: 'added', additions: 3 },
      { filename: 'models/b/model.yaml', status: 'renamed', previous_filename: 'models/a/model.yaml' },
    ],
  });
});
afterEach(async () => {
  await fake.close();
  // whatever the client sent, every answer the fake gave validated against GitHub's description
  expect(fake.violations.filter((v) => v.includes("the fake's"))).toEqual([]);
});

interface Res<T = unknown> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

async function call<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res<T>> {
  const res = await fetch(new URL(path, fake.url), {
    method,
    headers: {
      authorization: 'token t0ken',
      accept: 'application/vnd.github+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}

/** rel -> URL of a Link header */
function links(header: string | null): Record<string, string> {
  return Object.fromEntries(
    [...(header ?? '').matchAll(/<([^>]+)>; rel="(\w+)"/g)].map(([, url = '', rel = '']) => [rel, url]),
  );
}

describe('pagination', () => {
  beforeEach(() => {
    for (let i = 1; i <= 65; i++) fake.addComment(7, `comment ${i}`, 'reviewer');
  });

  test('30 a page by default, with Link rel="next" and rel="last" across 3 pages', async () => {
    const first = await call<{ body: string }[]>('GET', '/repos/acme/models/issues/7/comments');
    expect(first.json).toHaveLength(30);
    expect(first.json[0]?.body).toBe('comment 1');
    const l1 = links(first.headers.get('link'));
    expect(Object.keys(l1).sort()).toEqual(['last', 'next']);
    expect(new URL(l1.next ?? '').searchParams.get('page')).toBe('2');
    expect(new URL(l1.last ?? '').searchParams.get('page')).toBe('3');

    const second = await call<{ body: string }[]>(
      'GET',
      new URL(l1.next ?? '').pathname + new URL(l1.next ?? '').search,
    );
    expect(second.json[0]?.body).toBe('comment 31');
    expect(Object.keys(links(second.headers.get('link'))).sort()).toEqual(['first', 'last', 'next', 'prev']);

    const third = await call<{ body: string }[]>('GET', '/repos/acme/models/issues/7/comments?page=3');
    expect(third.json.map((c) => c.body)).toEqual([
      'comment 61',
      'comment 62',
      'comment 63',
      'comment 64',
      'comment 65',
    ]);
    expect(Object.keys(links(third.headers.get('link'))).sort()).toEqual(['first', 'prev']);
    expect(fake.violations).toEqual([]);
  });

  test('per_page is kept in the links and capped at 100; one page has no Link header', async () => {
    const small = await call('GET', '/repos/acme/models/issues/7/comments?per_page=25&page=1');
    expect(new URL(links(small.headers.get('link')).next ?? '').searchParams.get('per_page')).toBe('25');
    const big = await call<unknown[]>('GET', '/repos/acme/models/issues/7/comments?per_page=500');
    expect(big.json).toHaveLength(65);
    expect(big.headers.get('link')).toBeNull();
    const past = await call<unknown[]>('GET', '/repos/acme/models/issues/7/comments?page=9');
    expect(past.json).toEqual([]);
  });
});

describe('issue comments', () => {
  test("a comment made with the token is the bot's, with ids, urls and timestamps", async () => {
    const res = await call<Record<string, unknown>>('POST', '/repos/acme/models/issues/7/comments', {
      body: 'hello',
    });
    expect(res.status).toBe(201);
    const id = res.json.id as number;
    expect(res.json).toMatchObject({
      body: 'hello',
      user: { login: 'github-actions[bot]', type: 'Bot', id: 41898282 },
      html_url: `https://github.com/acme/models/pull/7#issuecomment-${id}`,
      url: `${fake.url}/repos/acme/models/issues/comments/${id}`,
      issue_url: `${fake.url}/repos/acme/models/issues/7`,
    });
    expect(res.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.headers.get('location')).toBe(res.json.url);
    expect(fake.comments(7)).toEqual([
      expect.objectContaining({ id, body: 'hello', user: 'github-actions[bot]', userType: 'Bot' }),
    ]);
    expect(fake.violations).toEqual([]);
  });

  test('comments by others are listed with theirs, oldest first; an edit changes body and updated_at', async () => {
    const other = fake.addComment(7, 'LGTM', 'alice');
    const mine = await call<{ id: number }>('POST', '/repos/acme/models/issues/7/comments', {
      body: 'report v1',
    });
    const listed = await call<{ user: { login: string; type: string }; body: string }[]>(
      'GET',
      '/repos/acme/models/issues/7/comments',
    );
    expect(listed.json.map((c) => [c.user.login, c.user.type, c.body])).toEqual([
      ['alice', 'User', 'LGTM'],
      ['github-actions[bot]', 'Bot', 'report v1'],
    ]);
    const edited = await call<{ body: string }>(
      'PATCH',
      `/repos/acme/models/issues/comments/${mine.json.id}`,
      {
        body: 'report v2',
      },
    );
    expect(edited.status).toBe(200);
    expect(edited.json.body).toBe('report v2');
    expect(fake.comments(7).map((c) => c.body)).toEqual(['LGTM', 'report v2']);
    expect(other.id).not.toBe(mine.json.id);
    expect((await call('PATCH', '/repos/acme/models/issues/comments/999', { body: 'x' })).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  test('one comment is read by its id and deleted (204); then both answer 404', async () => {
    const mine = await call<{ id: number }>('POST', '/repos/acme/models/issues/7/comments', { body: 'r' });
    const path = `/repos/acme/models/issues/comments/${mine.json.id}`;
    const read = await call<{ id: number; body: string; user: { type: string } }>('GET', path);
    expect([read.status, read.json.id, read.json.body, read.json.user.type]).toEqual([
      200,
      mine.json.id,
      'r',
      'Bot',
    ]);
    const deleted = await call('DELETE', path);
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    expect(fake.comments(7)).toEqual([]);
    expect((await call('GET', path)).status).toBe(404);
    expect((await call('DELETE', path)).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  test('since lists comments updated at or after a time', async () => {
    fake.addComment(7, 'old', 'alice');
    const future = new Date(Date.now() + 60_000).toISOString();
    const res = await call<unknown[]>('GET', `/repos/acme/models/issues/7/comments?since=${future}`);
    expect(res.json).toEqual([]);
    const past = await call<unknown[]>(
      'GET',
      '/repos/acme/models/issues/7/comments?since=2020-01-01T00:00:00Z',
    );
    expect(past.json).toHaveLength(1);
  });

  test('a body over 65536 characters answers 422 body is too long', async () => {
    const ok = await call('POST', '/repos/acme/models/issues/7/comments', { body: 'x'.repeat(65_536) });
    expect(ok.status).toBe(201);
    expect(fake.violations).toEqual([]);
    const res = await call('POST', '/repos/acme/models/issues/7/comments', { body: 'x'.repeat(65_537) });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'IssueComment',
          field: 'body',
          message: 'body is too long (maximum is 65536 characters)',
        },
      ],
    });
    const edit = await call('PATCH', `/repos/acme/models/issues/comments/${fake.comments(7)[0]?.id}`, {
      body: 'y'.repeat(70_000),
    });
    expect(edit.status).toBe(422);
    expect(fake.violations).toHaveLength(2);
    expect(fake.comments(7)).toHaveLength(1);
  });

  test('a comment on an issue that does not exist answers 404', async () => {
    expect((await call('POST', '/repos/acme/models/issues/8/comments', { body: 'x' })).status).toBe(404);
    expect((await call('GET', '/repos/acme/models/issues/8/comments')).status).toBe(404);
  });

  test("botLogin names the token's user", async () => {
    const custom = await startFakeGitHub({ owner: 'acme', repo: 'models', botLogin: 'model-gate[bot]' });
    try {
      custom.setPullRequest(1, { baseSha: BASE, headSha: HEAD, files: [] });
      const res = await fetch(`${custom.url}/repos/acme/models/issues/1/comments`, {
        method: 'POST',
        headers: { authorization: 'token x', 'content-type': 'application/json' },
        body: JSON.stringify({ body: 'hi' }),
      });
      expect(((await res.json()) as { user: { login: string; type: string } }).user).toMatchObject({
        login: 'model-gate[bot]',
        type: 'Bot',
      });
      expect(custom.violations).toEqual([]);
    } finally {
      await custom.close();
    }
  });
});

describe('the token', () => {
  test("the job's token writes as github-actions[bot] and GET /user refuses it, as GitHub does", async () => {
    const res = await call<Record<string, unknown>>('GET', '/user');
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
      status: '403',
    });
    expect(fake.tokenKind).toBe('github-actions');
    expect(fake.violations).toEqual([]);
  });

  test("a personal access token's user is named by GET /user and authors what the token writes", async () => {
    fake.useToken('pat', 'deployer');
    const me = await call<{ id: number }>('GET', '/user');
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ login: 'deployer', type: 'User', user_view_type: 'private' });
    const res = await call<{ user: unknown }>('POST', '/repos/acme/models/issues/7/comments', { body: 'hi' });
    expect(res.json.user).toMatchObject({ login: 'deployer', id: me.json.id, type: 'User' });
    expect(fake.comments(7)).toEqual([expect.objectContaining({ user: 'deployer', userType: 'User' })]);
    // every answer, the 200 of GET /user included, validated against GitHub's description
    expect(fake.violations).toEqual([]);
  });

  test('the kind is an option, switched by useToken; a login must fit the kind', async () => {
    const pat = await startFakeGitHub({ owner: 'acme', repo: 'models', tokenKind: 'pat' });
    await pat.close();
    expect([pat.tokenKind, pat.botLogin]).toEqual(['pat', 'monalisa']);
    fake.useToken('github-actions', 'model-gate[bot]');
    expect((await call('GET', '/user')).status).toBe(403);
    expect(() => fake.useToken('pat', 'evil[bot]')).toThrow(/a User/);
    expect(() => fake.useToken('github-actions', 'alice')).toThrow(/a Bot/);
    expect(fake.violations).toEqual([]);
  });
});

describe('pull requests', () => {
  test('get gives base and head; files lists the changed files', async () => {
    fake.setPullRequest(9, {
      baseSha: BASE,
      headSha: OTHER,
      files: [{ filename: 'x.yaml', status: 'modified' }],
      user: 'mallory',
      headRepoFullName: 'mallory/models',
      headRef: 'feature',
      labels: ['model-gate'],
    });
    const pr = await call<Record<string, unknown>>('GET', '/repos/acme/models/pulls/9');
    expect(pr.json).toMatchObject({
      number: 9,
      state: 'open',
      merged: false,
      user: { login: 'mallory' },
      base: { sha: BASE, ref: 'main', repo: { full_name: 'acme/models', fork: false } },
      head: {
        sha: OTHER,
        ref: 'feature',
        label: 'mallory:feature',
        repo: { full_name: 'mallory/models', fork: true },
      },
      labels: [{ name: 'model-gate' }],
    });
    const files = await call<{ filename: string; status: string; previous_filename?: string }[]>(
      'GET',
      '/repos/acme/models/pulls/7/files',
    );
    expect(files.json.map((f) => [f.filename, f.status, f.previous_filename])).toEqual([
      ['models/fraud/model.yaml', 'modified', undefined],
      ['models/new/model.yaml', 'added', undefined],
      ['models/b/model.yaml', 'renamed', 'models/a/model.yaml'],
    ]);
    expect((await call('GET', '/repos/acme/models/pulls/99')).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  test('a merged pull request is closed and merged', async () => {
    fake.setPullRequest(7, { baseSha: BASE, headSha: HEAD, files: [], merged: true });
    const pr = await call<Record<string, unknown>>('GET', '/repos/acme/models/pulls/7');
    expect(pr.json).toMatchObject({ state: 'closed', merged: true });
    expect(pr.json.merged_at).toEqual(expect.any(String));
    expect(fake.violations).toEqual([]);
  });
});

describe('contents', () => {
  beforeEach(() => {
    fake.setFile(HEAD, '.github/model-gate.yml', 'version: 1\nmodels: {}\n');
    fake.setFile('main', 'models/fraud/model.yaml', 'version: v1\n');
    fake.setFile('main', 'models/fraud/eval.json', '{"auc":0.93}');
  });

  test('a file is base64 content with encoding base64', async () => {
    const res = await call<Record<string, string>>(
      'GET',
      `/repos/acme/models/contents/.github%2Fmodel-gate.yml?ref=${HEAD}`,
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      type: 'file',
      encoding: 'base64',
      name: 'model-gate.yml',
      path: '.github/model-gate.yml',
    });
    expect(Buffer.from(res.json.content ?? '', 'base64').toString('utf8')).toBe('version: 1\nmodels: {}\n');
    expect(fake.violations).toEqual([]);
  });

  test('the default ref is the default branch; a branch name resolves to its commit', async () => {
    const byDefault = await call<{ content: string }>(
      'GET',
      '/repos/acme/models/contents/models/fraud/model.yaml',
    );
    expect(Buffer.from(byDefault.json.content, 'base64').toString()).toBe('version: v1\n');
    fake.setRef('feature', HEAD);
    expect((await call('GET', '/repos/acme/models/contents/.github/model-gate.yml?ref=feature')).status).toBe(
      200,
    );
  });

  test('the raw media type gives the text itself', async () => {
    const res = await call('GET', '/repos/acme/models/contents/models/fraud/eval.json', undefined, {
      accept: 'application/vnd.github.raw+json',
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"auc":0.93}');
  });

  test('a directory lists its entries', async () => {
    const res = await call<{ name: string; type: string }[]>('GET', '/repos/acme/models/contents/models');
    expect(res.json.map((e) => [e.name, e.type])).toEqual([['fraud', 'dir']]);
    const inner = await call<{ name: string; type: string }[]>(
      'GET',
      '/repos/acme/models/contents/models/fraud',
    );
    expect(inner.json.map((e) => [e.name, e.type])).toEqual([
      ['eval.json', 'file'],
      ['model.yaml', 'file'],
    ]);
    expect(fake.violations).toEqual([]);
  });

  test('a missing file or ref answers 404', async () => {
    const file = await call('GET', `/repos/acme/models/contents/nope.yml?ref=${HEAD}`);
    expect(file.status).toBe(404);
    expect(file.json).toMatchObject({
      message: 'Not Found',
      documentation_url: expect.stringContaining('docs.github.com'),
    });
    const ref = await call('GET', '/repos/acme/models/contents/.github/model-gate.yml?ref=no-such-branch');
    expect(ref.status).toBe(404);
    expect(ref.json).toMatchObject({ message: 'No commit found for the ref no-such-branch' });
    expect(fake.violations).toEqual([]);
  });
});

describe('deployments', () => {
  async function deploy(body: Record<string, unknown>): Promise<{ id: number } & Record<string, unknown>> {
    const res = await call<{ id: number } & Record<string, unknown>>(
      'POST',
      '/repos/acme/models/deployments',
      body,
    );
    expect(res.status).toBe(201);
    return res.json;
  }

  test("a deployment keeps what was sent, with GitHub's defaults", async () => {
    const d = await deploy({
      ref: 'pr-7',
      environment: 'model-gate/fraud',
      payload: { model: 'fraud', version: 'v2' },
      auto_merge: false,
      required_contexts: [],
      transient_environment: true,
      description: 'canary of v2',
    });
    expect(d).toMatchObject({
      ref: 'pr-7',
      sha: HEAD,
      task: 'deploy',
      environment: 'model-gate/fraud',
      original_environment: 'model-gate/fraud',
      payload: { model: 'fraud', version: 'v2' },
      transient_environment: true,
      production_environment: false,
      description: 'canary of v2',
      creator: { login: 'github-actions[bot]' },
      statuses_url: `${fake.url}/repos/acme/models/deployments/${d.id}/statuses`,
    });
    const string = await deploy({ ref: HEAD, payload: '{"a":1}' });
    expect(string).toMatchObject({
      payload: '{"a":1}',
      environment: 'production',
      production_environment: true,
    });
    expect(fake.deployments('model-gate/fraud')).toEqual([
      expect.objectContaining({
        id: d.id,
        autoMerge: false,
        requiredContexts: [],
        transientEnvironment: true,
      }),
    ]);
    expect(fake.deployments()[1]).toMatchObject({
      autoMerge: true,
      requiredContexts: undefined,
      payload: '{"a":1}',
    });
    expect(fake.violations).toEqual([]);
  });

  test('listing filters by environment, sha and ref, newest first', async () => {
    fake.setRef('release', OTHER);
    const a = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    const b = await deploy({ ref: 'release', environment: 'canary', required_contexts: [] });
    const c = await deploy({ ref: HEAD, environment: 'stable', required_contexts: [] });
    const ids = async (query: string) =>
      (await call<{ id: number }[]>('GET', `/repos/acme/models/deployments${query}`)).json.map((d) => d.id);
    expect(await ids('')).toEqual([c.id, b.id, a.id]);
    expect(await ids('?environment=canary')).toEqual([b.id, a.id]);
    expect(await ids(`?sha=${HEAD}`)).toEqual([c.id, a.id]);
    expect(await ids('?ref=release')).toEqual([b.id]);
    expect(await ids('?environment=canary&per_page=1&page=2')).toEqual([a.id]);
    expect(fake.violations).toEqual([]);
  });

  test('an unknown ref answers 422; failing commit statuses answer 409 unless required_contexts is given', async () => {
    const unknown = await call('POST', '/repos/acme/models/deployments', { ref: 'nope' });
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ message: 'No ref found for: nope' });
    await call('POST', `/repos/acme/models/statuses/${HEAD}`, { state: 'pending', context: 'model-gate' });
    const conflict = await call('POST', '/repos/acme/models/deployments', { ref: HEAD });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({ message: `Conflict: Commit status checks failed for ${HEAD}.` });
    expect(
      (await call('POST', '/repos/acme/models/deployments', { ref: HEAD, required_contexts: [] })).status,
    ).toBe(201);
    expect(fake.deployments()).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  test('statuses: documented states, newest first, and an environment change', async () => {
    const d = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    for (const state of ['queued', 'in_progress', 'success']) {
      const res = await call<Record<string, unknown>>(
        'POST',
        `/repos/acme/models/deployments/${d.id}/statuses`,
        {
          state,
          log_url: 'https://ci.example/run/1',
          description: `now ${state}`,
          ...(state === 'success'
            ? { environment: 'canary-2', environment_url: 'http://127.0.0.1:8080' }
            : {}),
        },
      );
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({
        state,
        target_url: 'https://ci.example/run/1',
        log_url: 'https://ci.example/run/1',
      });
    }
    const listed = await call<{ state: string; environment: string }[]>(
      'GET',
      `/repos/acme/models/deployments/${d.id}/statuses`,
    );
    expect(listed.json.map((s) => [s.state, s.environment])).toEqual([
      ['success', 'canary-2'],
      ['in_progress', 'canary'],
      ['queued', 'canary'],
    ]);
    const [record] = fake.deployments('canary-2');
    expect(record).toMatchObject({ environment: 'canary-2', originalEnvironment: 'canary' });
    expect(record?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'success']);
    expect(
      (await call('POST', '/repos/acme/models/deployments/12345/statuses', { state: 'success' })).status,
    ).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  test('auto_inactive: a new success marks prior successful deployments of the environment inactive', async () => {
    const states = (env: string) => fake.deployments(env).map((d) => d.statuses.map((s) => s.state));
    const success = (id: number, extra: Record<string, unknown> = {}) =>
      call('POST', `/repos/acme/models/deployments/${id}/statuses`, { state: 'success', ...extra });
    const d1 = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    const other = await deploy({ ref: HEAD, environment: 'stable', required_contexts: [] });
    const failed = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    await success(d1.id);
    await success(other.id);
    await call('POST', `/repos/acme/models/deployments/${failed.id}/statuses`, { state: 'failure' });
    const d2 = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    await success(d2.id);
    expect(states('canary')).toEqual([['success', 'inactive'], ['failure'], ['success']]);
    expect(states('stable')).toEqual([['success']]);
    expect(fake.deployments('canary')[0]?.statuses[1]).toMatchObject({ automatic: true, state: 'inactive' });

    const d3 = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    await success(d3.id, { auto_inactive: false });
    expect(states('canary')).toEqual([['success', 'inactive'], ['failure'], ['success'], ['success']]);
    expect(fake.violations).toEqual([]);
  });

  test('auto_inactive leaves production and transient environments alone (as documented)', async () => {
    const p1 = await deploy({ ref: HEAD, environment: 'production', required_contexts: [] });
    const t1 = await deploy({
      ref: HEAD,
      environment: 'preview',
      transient_environment: true,
      required_contexts: [],
    });
    for (const id of [p1.id, t1.id])
      await call('POST', `/repos/acme/models/deployments/${id}/statuses`, { state: 'success' });
    const p2 = await deploy({ ref: HEAD, environment: 'production', required_contexts: [] });
    const t2 = await deploy({ ref: HEAD, environment: 'preview', required_contexts: [] });
    for (const id of [p2.id, t2.id])
      await call('POST', `/repos/acme/models/deployments/${id}/statuses`, { state: 'success' });
    expect(fake.deployments().map((d) => d.statuses.at(-1)?.state)).toEqual([
      'success',
      'success',
      'success',
      'success',
    ]);
  });

  test('a status description over 140 characters answers 422', async () => {
    const d = await deploy({ ref: HEAD, environment: 'canary', required_contexts: [] });
    const res = await call('POST', `/repos/acme/models/deployments/${d.id}/statuses`, {
      state: 'success',
      description: 'd'.repeat(141),
    });
    expect(res.status).toBe(422);
    expect(fake.violations).toEqual([
      expect.stringContaining('description is too long (maximum is 140 characters)'),
    ]);
  });
});

describe('commit statuses', () => {
  test('created with state, context, description and target_url; listed newest first', async () => {
    const created = await call<Record<string, unknown>>('POST', `/repos/acme/models/statuses/${HEAD}`, {
      state: 'pending',
      context: 'model-gate/fraud',
      description: 'canary at 10%',
      target_url: 'https://ci.example/run/1',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      state: 'pending',
      context: 'model-gate/fraud',
      description: 'canary at 10%',
      target_url: 'https://ci.example/run/1',
      creator: { login: 'github-actions[bot]' },
    });
    await call('POST', `/repos/acme/models/statuses/${HEAD}`, {
      state: 'success',
      context: 'model-gate/fraud',
    });
    await call('POST', `/repos/acme/models/statuses/${HEAD}`, { state: 'failure' });
    const listed = await call<{ state: string; context: string; description: string | null }[]>(
      'GET',
      `/repos/acme/models/commits/${HEAD}/statuses`,
    );
    expect(listed.json.map((s) => [s.state, s.context, s.description])).toEqual([
      ['failure', 'default', null],
      ['success', 'model-gate/fraud', null],
      ['pending', 'model-gate/fraud', 'canary at 10%'],
    ]);
    const byBranch = await call<unknown[]>('GET', '/repos/acme/models/commits/pr-7/statuses');
    expect(byBranch.json).toHaveLength(3);
    expect(fake.commitStatuses(HEAD).map((s) => s.state)).toEqual(['pending', 'success', 'failure']);
    expect(fake.violations).toEqual([]);
  });

  test('a description over 140 characters answers 422; an invalid state too', async () => {
    expect(
      (
        await call('POST', `/repos/acme/models/statuses/${HEAD}`, {
          state: 'success',
          description: 'x'.repeat(140),
        })
      ).status,
    ).toBe(201);
    const long = await call('POST', `/repos/acme/models/statuses/${HEAD}`, {
      state: 'success',
      description: 'x'.repeat(141),
    });
    expect(long.status).toBe(422);
    expect(long.json).toMatchObject({
      errors: [{ field: 'description', message: 'description is too long (maximum is 140 characters)' }],
    });
    expect((await call('POST', `/repos/acme/models/statuses/${HEAD}`, { state: 'in_progress' })).status).toBe(
      422,
    );
    expect(fake.violations).toHaveLength(2);
    expect(fake.commitStatuses(HEAD)).toHaveLength(1);
  });
});

describe('request counts', () => {
  test('count all requests, by method and path pattern, and writes', async () => {
    await call('GET', '/repos/acme/models/pulls/7');
    await call('GET', '/repos/acme/models/pulls/7/files');
    await call('POST', '/repos/acme/models/issues/7/comments', { body: 'a' });
    await call('POST', `/repos/acme/models/statuses/${HEAD}`, { state: 'pending' });
    expect(fake.requestCount()).toBe(4);
    expect(fake.writeCount()).toBe(2);
    expect(fake.requestCount('GET')).toBe(2);
    expect(fake.requestCount('post', '/repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(1);
    expect(fake.requestCount('*', /\/pulls\//)).toBe(2);
    expect(fake.requestCount('GET', '/repos/acme/models/pulls/7')).toBe(1);
    fake.resetRequests();
    expect(fake.requestCount()).toBe(0);
  });
});

describe('fault injection', () => {
  test('failNext answers the status count times, then the real answer', async () => {
    fake.failNext('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 502, 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/repos/acme/models/pulls/7')).status);
    expect(statuses).toEqual([502, 502, 200]);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 200]);
    expect((await call('GET', '/repos/acme/models/pulls/7/files')).status).toBe(200);
    expect(fake.violations).toEqual([]);
  });

  test('a secondary rate limit is a 403 with retry-after and the documented message', async () => {
    fake.rateLimitNext('POST', /\/comments$/, 'secondary');
    const res = await call<{ message: string }>('POST', '/repos/acme/models/issues/7/comments', {
      body: 'x',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.json.message).toMatch(/^You have exceeded a secondary rate limit/);
    expect(fake.comments(7)).toEqual([]);
    expect((await call('POST', '/repos/acme/models/issues/7/comments', { body: 'x' })).status).toBe(201);
  });

  test('a primary rate limit is a 403 with x-ratelimit-remaining 0 and x-ratelimit-reset', async () => {
    fake.rateLimitNext('*', '/repos/{owner}/{repo}/pulls/{pull_number}/files', 'primary');
    const res = await call<{ message: string }>('GET', '/repos/acme/models/pulls/7/files');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(res.json.message).toMatch(/^API rate limit exceeded/);
  });

  test('headers and body can be given', async () => {
    fake.failNext('GET', /pulls/, 429, 1, { 'retry-after': '2' }, { message: 'slow down' });
    const res = await call('GET', '/repos/acme/models/pulls/7');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.json).toEqual({ message: 'slow down' });
  });
});
