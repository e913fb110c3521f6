// The committed OpenAPI subset and the contract checks built on it.
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkBody, checkResponse, operations, route } from '../support/fake-github/contract.js';

const file = new URL('../support/fake-github/openapi-subset.json', import.meta.url);
const spec = JSON.parse(readFileSync(file, 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
};

const EXPECTED = [
  'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
  'GET /repos/{owner}/{repo}/pulls/{pull_number}',
  'GET /repos/{owner}/{repo}/contents/{path}',
  'GET /repos/{owner}/{repo}/compare/{basehead}',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'GET /repos/{owner}/{repo}/issues/comments/{comment_id}',
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
  'DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}',
  'GET /repos/{owner}/{repo}/deployments',
  'POST /repos/{owner}/{repo}/deployments',
  'DELETE /repos/{owner}/{repo}/deployments/{deployment_id}',
  'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
  'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
  'POST /repos/{owner}/{repo}/statuses/{sha}',
  'GET /repos/{owner}/{repo}/commits/{ref}/statuses',
  'GET /user',
  'POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun',
];

/** Visits every schema-level object (not the names under `properties`, nor data under default/enum). */
function visit(value: unknown, fn: (node: Record<string, unknown>) => void, isNameMap = false): void {
  if (Array.isArray(value)) {
    for (const v of value) visit(v, fn);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Record<string, unknown>;
  if (!isNameMap) fn(node);
  for (const [key, child] of Object.entries(node)) {
    if (isNameMap) visit(child, fn);
    else if (key !== 'default' && key !== 'enum' && key !== 'const') visit(child, fn, key === 'properties');
  }
}

describe('openapi-subset.json', () => {
  test('holds exactly the operations model-gate uses, and is small', () => {
    expect(operations.map((o) => `${o.method} ${o.template}`).sort()).toEqual([...EXPECTED].sort());
    expect(statSync(file).size).toBeLessThan(300 * 1024);
  });

  test('has no OpenAPI 3.0 nullable left, no examples, and every reference resolves inside it', () => {
    const problems: string[] = [];
    visit(spec, (node) => {
      if ('nullable' in node) problems.push(`nullable in ${JSON.stringify(node).slice(0, 80)}`);
      if ('example' in node || 'examples' in node)
        problems.push(`example in ${JSON.stringify(node).slice(0, 80)}`);
      const ref = node.$ref;
      if (typeof ref === 'string') {
        const [, section, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref) ?? [];
        if (!section || !name || !spec.components[section]?.[name]) problems.push(`unresolved ${ref}`);
      }
    });
    expect(problems).toEqual([]);
  });

  test('routes multi-segment parameters (contents path, commit ref) and nothing else', () => {
    expect(route('GET', '/repos/o/r/contents/.github%2Fmodel-gate.yml')?.params.path).toBe(
      '.github/model-gate.yml',
    );
    expect(route('GET', '/repos/o/r/contents/models/a/model.yaml')?.params.path).toBe('models/a/model.yaml');
    expect(route('GET', '/repos/o/r/commits/heads/main/statuses')?.params.ref).toBe('heads/main');
    expect(route('GET', '/repos/o/r/pulls/3/files')?.operation.operationId).toBe('pulls/list-files');
    expect(route('GET', '/repos/o/r/pulls/3')?.operation.operationId).toBe('pulls/get');
    expect(route('GET', '/user')?.operation.operationId).toBe('users/get-authenticated');
    expect(route('PATCH', '/repos/o/r/pulls/3')).toBeUndefined();
    expect(route('GET', '/repos/o/r/issues/3')).toBeUndefined();
  });

  test('request bodies are checked against the requestBody schema', () => {
    const op = (id: string) => operations.find((o) => o.operationId === id) ?? expect.unreachable(id);
    expect(checkBody(op('repos/create-deployment-status'), { state: 'success' }, 'DeploymentStatus')).toEqual(
      [],
    );
    expect(checkBody(op('repos/create-deployment-status'), { state: 'bogus' }, 'DeploymentStatus')).toEqual([
      expect.objectContaining({ field: 'state', code: 'invalid' }),
    ]);
    expect(checkBody(op('repos/create-deployment'), { environment: 'x' }, 'Deployment')).toEqual([
      expect.objectContaining({ field: 'ref', code: 'missing_field' }),
    ]);
    // nullable (rewritten to anyOf [.., null]) accepts null
    expect(
      checkBody(op('repos/create-deployment'), { ref: 'main', description: null }, 'Deployment'),
    ).toEqual([]);
    expect(checkBody(op('repos/create-deployment'), { ref: 'main', payload: 3 }, 'Deployment')).not.toEqual(
      [],
    );
  });

  test('responses are checked against the schema of their status', () => {
    const op = operations.find((o) => o.operationId === 'issues/create-comment') ?? expect.unreachable();
    expect(checkResponse(op, 201, { id: 1 }).problems.join('\n')).toMatch(
      /must have required property 'node_id'/,
    );
    expect(checkResponse(op, 404, { message: 'Not Found' })).toEqual({ documented: true, problems: [] });
    expect(checkResponse(op, 404, { message: 404 }).problems).not.toEqual([]);
    expect(checkResponse(op, 502, 'anything')).toEqual({ documented: false, problems: [] });
  });
});
