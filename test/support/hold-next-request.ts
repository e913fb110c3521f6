import type { GitHubClient } from '../../src/github/client.js';

/**
 * Holds a client's next request of `method` to `path` until released; `reached` once it is sent:
 * how a test makes two jobs' GitHub writes cross in a chosen order.
 */
export function holdNext(client: GitHubClient, method: string, path: string) {
  let armed = true;
  let release = () => {};
  let arrive = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  client.hook.before('request', async (options) => {
    if (!armed || options.method !== method || options.url !== path) return;
    armed = false;
    arrive();
    await gate;
  });
  return { reached, release };
}
