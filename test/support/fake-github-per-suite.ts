import { afterAll, beforeAll, expect } from 'vitest';
import { type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from './fake-github/server.js';

/**
 * The GitHub stand-in for the tests of the describe (or file) this is called in: started before
 * them, closed after them, once it is checked that GitHub refused none of the requests made.
 * `world.github` is set by beforeAll.
 */
export function useFakeGitHub(opts: FakeGitHubOptions): { github: FakeGitHub } {
  const world = { github: undefined as unknown as FakeGitHub };
  beforeAll(async () => {
    world.github = await startFakeGitHub(opts);
  });
  afterAll(async () => {
    expect(world.github.violations).toEqual([]);
    await world.github.close();
  });
  return world;
}
