import { afterAll, beforeAll } from 'vitest';
import type { FakeGitHub } from './fake-github/server.js';
import { type HoldingProxy, startHoldingProxy } from './holding-proxy.js';
import type { RaceWorld } from './race-world.js';

/**
 * `count` holding proxies in front of `world`'s GitHub stand-in, started before the file's tests and
 * closed after them, so that one job's request can wait while another job runs. A job's GitHub
 * client is made as the job is built, from the stand-in's URL: `through(proxy, start)` builds the
 * job `start` makes (synchronously, as it begins) on that proxy; a job built otherwise talks to the
 * stand-in directly. Call after useRaceWorld.
 */
export function useProxiedGitHub(world: RaceWorld, count = 1) {
  const proxies: HoldingProxy[] = [];
  let via: HoldingProxy | undefined;
  beforeAll(async () => {
    const real = world.github;
    for (let i = 0; i < count; i++) proxies.push(await startHoldingProxy(real.url));
    (world as { github: FakeGitHub }).github = new Proxy(real, {
      get: (target, key) => (key === 'url' ? (via?.url ?? target.url) : Reflect.get(target, key, target)),
    });
  });
  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
  });
  return {
    /** The `i`th proxy, once the file's tests run. */
    proxy: (i = 0): HoldingProxy => {
      const proxy = proxies[i];
      if (!proxy) throw new Error(`no proxy ${i}: useProxiedGitHub started ${count}`);
      return proxy;
    },
    through<T>(proxy: HoldingProxy, start: () => T): T {
      via = proxy;
      try {
        return start();
      } finally {
        via = undefined;
      }
    },
  };
}
