import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { VersionError } from '../../src/core/errors.js';
import { gitHubClient } from '../../src/github/client.js';
import { contentsReader } from '../../src/github/repo-files.js';
import { cachedReader } from '../../src/version/cached-reader.js';
import { findChangedModels, unchangedVersion } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel, sha } from '../support/model-config.js';

// A version file GitHub does not serve as a file (a directory, a symlink leading outside the
// repository, a submodule) is an error (repo-files.ts). At the base, the PR that fixes it (commits
// the file itself) failed for the base's fault: the base's version is as unknown as one that does
// not parse, so the head's decides alone, as for a new model. At the head it is still an error.
// The action's contents reader, against the GitHub stand-in.
const FILE = 'models/fraud.yaml';
const VERSION_FILE = /\/contents\/models(%2F|\/)fraud\.yaml$/i;
const config: Config = { version: 1, allowForks: false, models: { fraud: canaryModel({ name: 'fraud' }) } };
const source = config.models.fraud?.source as { file: string; key: string };

let github: FakeGitHub;
beforeAll(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  // sha(1): the version file is a directory; sha(2) fixes it; sha(3) is a directory again.
  github.setFile(sha(1), `${FILE}/v1.yaml`, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setFile(sha(3), `${FILE}/v3.yaml`, 'version: v3\n');
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

const reader = () =>
  cachedReader(
    contentsReader(gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 }), {
      owner: 'Codertocat',
      repo: 'Hello-World',
    }),
  );

describe('a version file that is no file at the base', () => {
  it('a directory at the base, a file at the head: the model changes, as a new one', async () => {
    expect(await findChangedModels(config, reader(), sha(1), sha(2))).toEqual([{ model: 'fraud', to: 'v2' }]);
  });

  it('a symlink out of the repository at the base: the same', async () => {
    const files = reader();
    // The head is read first and kept; GitHub then answers the base's read with a symlink.
    await files.read(sha(2), FILE);
    github.failNext('GET', VERSION_FILE, 200, 1, {}, symlinkEntry());
    expect(await findChangedModels(config, files, sha(1), sha(2))).toEqual([{ model: 'fraud', to: 'v2' }]);
  });

  it('a PR that fixes the base is not taken for one that leaves the version as it was', async () => {
    expect(await unchangedVersion(reader(), sha(1), sha(2), source)).toBeUndefined();
  });

  it('a directory at the head is still an error naming it', async () => {
    const found = findChangedModels(config, reader(), sha(2), sha(3));
    await expect(found).rejects.toThrow(VersionError);
    await expect(found).rejects.toThrow(
      `cannot read ${FILE} at ${sha(3).slice(0, 7)} from GitHub: it is a directory`,
    );
  });
});

/** GitHub's answer for FILE as a symlink to a file outside the repository. */
function symlinkEntry() {
  const api = 'https://api.github.com/repos/Codertocat/Hello-World';
  const blob = `${api}/git/blobs/${'f'.repeat(40)}`;
  const html = `https://github.com/Codertocat/Hello-World/blob/${sha(1)}/${FILE}`;
  const self = `${api}/contents/${FILE}?ref=${sha(1)}`;
  return {
    type: 'symlink',
    target: '/etc/models/fraud.yaml',
    size: 0,
    name: 'fraud.yaml',
    path: FILE,
    sha: 'f'.repeat(40),
    url: self,
    git_url: blob,
    html_url: html,
    download_url: null,
    _links: { self, git: blob, html },
  };
}
