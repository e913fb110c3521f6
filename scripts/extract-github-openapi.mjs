// Extracts the GitHub REST operations model-gate uses from GitHub's official OpenAPI description
// (@octokit/openapi, never a dependency: the package is 385 MB) into the small committed fixture
// test/support/fake-github/openapi-subset.json that the fake GitHub validates requests and
// responses against.
//   node scripts/extract-github-openapi.mjs
// What it does to the description:
// - keeps only OPERATIONS below and the transitive closure of the `#/components/...` they reference;
// - drops `example`/`examples` (documentation only: they are most of the size);
// - rewrites OpenAPI 3.0 `nullable: true` (with or without `type`) into
//   `anyOf: [<the schema without nullable>, { type: 'null' }]` so that ajv 8 validates it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE = '@octokit/openapi@23.0.2';
const DESCRIPTION = 'package/generated/api.github.com.json';
const root = resolve(import.meta.dirname, '..');
const out = join(root, 'test', 'support', 'fake-github', 'openapi-subset.json');

/** [method, path template] */
const OPERATIONS = [
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/files'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['get', '/repos/{owner}/{repo}/contents/{path}'],
  ['get', '/repos/{owner}/{repo}/compare/{basehead}'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['get', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['delete', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['get', '/repos/{owner}/{repo}/deployments'],
  ['post', '/repos/{owner}/{repo}/deployments'],
  ['delete', '/repos/{owner}/{repo}/deployments/{deployment_id}'],
  ['get', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses'],
  ['post', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses'],
  ['post', '/repos/{owner}/{repo}/statuses/{sha}'],
  ['get', '/repos/{owner}/{repo}/commits/{ref}/statuses'],
  // Who the token is: a personal access token's user; 403 for GITHUB_TOKEN and App tokens.
  ['get', '/user'],
  // A queued PR's job, re-run once the canary slot it waits for is free.
  ['post', '/repos/{owner}/{repo}/actions/runs/{run_id}/rerun'],
];

// Keys whose values are data (not schemas nor OpenAPI objects): copied as they are.
const DATA_KEYS = new Set(['default', 'enum', 'const']);
// Keys dropped everywhere outside data.
const DROPPED_KEYS = new Set(['example', 'examples']);
// Keys whose value is a map from arbitrary names to schemas (names are not keywords).
const NAME_MAPS = new Set(['properties', 'patternProperties']);

function loadDescription() {
  const dir = mkdtempSync(join(tmpdir(), 'github-openapi-'));
  try {
    execFileSync('npm', ['pack', PACKAGE, '--pack-destination', dir, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${PACKAGE} made no tarball`);
    execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir, DESCRIPTION]);
    return JSON.parse(readFileSync(join(dir, DESCRIPTION), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Copies an OpenAPI value, dropping examples and rewriting `nullable`. */
function rewrite(value, isNameMap = false) {
  if (Array.isArray(value)) return value.map((v) => rewrite(v));
  if (value === null || typeof value !== 'object') return value;
  const copy = {};
  for (const [key, child] of Object.entries(value)) {
    if (isNameMap) {
      copy[key] = rewrite(child);
    } else if (DATA_KEYS.has(key)) {
      copy[key] = structuredClone(child);
    } else if (DROPPED_KEYS.has(key) || key === 'nullable') {
      // dropped (nullable is handled below)
    } else {
      copy[key] = rewrite(child, NAME_MAPS.has(key));
    }
  }
  if (isNameMap || value.nullable !== true) return copy;
  // Descriptive keywords stay beside the anyOf; the rest goes in the non-null branch.
  const outer = {};
  for (const key of ['title', 'description', 'deprecated', 'readOnly', 'writeOnly']) {
    if (key in copy) {
      outer[key] = copy[key];
      delete copy[key];
    }
  }
  if ('default' in copy && copy.default === null) {
    outer.default = null;
    delete copy.default;
  }
  return { ...outer, anyOf: [copy, { type: 'null' }] };
}

/** Every `#/components/...` reference in a (rewritten) value, as [section, name]. */
function references(value, found = [], isNameMap = false) {
  if (Array.isArray(value)) {
    for (const v of value) references(v, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (isNameMap) {
        references(child, found);
      } else if (key === '$ref' && typeof child === 'string') {
        const match = /^#\/components\/([^/]+)\/([^/]+)$/.exec(child);
        if (!match) throw new Error(`unexpected reference ${child}`);
        found.push([match[1], match[2].replaceAll('~1', '/').replaceAll('~0', '~')]);
      } else if (!DATA_KEYS.has(key)) {
        references(child, found, NAME_MAPS.has(key));
      }
    }
  }
  return found;
}

function extract(description) {
  const paths = {};
  for (const [method, path] of OPERATIONS) {
    const item = description.paths[path];
    const operation = item?.[method];
    if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in ${PACKAGE}`);
    paths[path] ??= item.parameters ? { parameters: rewrite(item.parameters) } : {};
    paths[path][method] = rewrite(operation);
  }
  const components = {};
  const pending = references(paths);
  while (pending.length > 0) {
    const [section, name] = pending.pop();
    if (components[section]?.[name]) continue;
    const component = description.components[section]?.[name];
    if (!component) throw new Error(`#/components/${section}/${name} is missing`);
    components[section] ??= {};
    components[section][name] = rewrite(component);
    pending.push(...references(components[section][name]));
  }
  for (const section of Object.keys(components)) {
    components[section] = Object.fromEntries(
      Object.entries(components[section]).sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return {
    openapi: description.openapi,
    info: {
      title: description.info.title,
      version: description.info.version,
      description: `Subset of ${PACKAGE} ${DESCRIPTION} made by scripts/extract-github-openapi.mjs: nullable rewritten to anyOf with type null, examples dropped.`,
    },
    servers: description.servers,
    paths,
    components,
  };
}

const subset = extract(loadDescription());
writeFileSync(out, `${JSON.stringify(subset, null, 2)}\n`);
// Formatted as the repository's formatter wants it, so that `biome check .` stays clean.
execFileSync(
  process.execPath,
  [join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'format', '--write', out],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const text = readFileSync(out, 'utf8');
console.log(
  `wrote ${out}: ${Object.keys(subset.paths).length} paths, ${OPERATIONS.length} operations, ` +
    `${Object.values(subset.components).reduce((n, s) => n + Object.keys(s).length, 0)} components, ` +
    `${Math.round(text.length / 1024)} kB`,
);
