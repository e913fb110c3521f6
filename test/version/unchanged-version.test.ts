import { describe, expect, it } from 'vitest';
import { memoryFileReader, unchangedVersion } from '../../src/version/changed-models.js';

// How a head leaves a model's declared version as the base has it: what lets a PR run withdraw
// a candidate the PR no longer declares, and nothing else.
const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const source = { file: 'models/fraud/model.yaml', key: 'version' };
const at = (head: Record<string, string>) =>
  unchangedVersion(
    memoryFileReader({ [BASE]: { [source.file]: 'version: v1\n' }, [HEAD]: head }),
    BASE,
    HEAD,
    source,
  );

describe('unchangedVersion', () => {
  it('the version put back to the base one: same', async () => {
    expect(await at({ [source.file]: 'version: v1\n# reverted\n' })).toEqual({ same: 'v1' });
  });

  it('the version file deleted: absent', async () => {
    expect(await at({})).toEqual({ absent: true });
  });

  it('a version that differs (a list of touched files older than the head): undefined, not withdrawn', async () => {
    expect(await at({ [source.file]: 'version: v2\n' })).toBeUndefined();
  });

  it('an invalid version at head: undefined, left to findChangedModels to report', async () => {
    expect(await at({ [source.file]: 'version: "$(id)"\n' })).toBeUndefined();
  });
});
