import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryOnTarget, prReleaseWorld } from '../support/pr-release-world.js';

// A PR whose candidate is not on the command target's platform (the deploy step skipped, a typo in
// the version): the apply command could only fail, which reads as an outage, so the release
// "rolled back" v2, ran a needless rollback apply on production, and reported the serving platform
// failed. An apply that exits 65 (EX_DATAERR) now says the platform refuses the state asked for and
// changed nothing: the report says v2 was not deployed and got no traffic, with the apply's own
// words (what is deployed, how to deploy it), and no other apply runs. The release as the action
// runs it (prReleaseWorld); the platform a file, its apply and read real processes.

const PLATFORM = `
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
const [dir, command, stable, candidate, weight] = process.argv.slice(2);
const state = \`\${dir}/serving.json\`;
if (command === 'read') process.stdout.write(readFileSync(state, 'utf8'));
else {
  appendFileSync(\`\${dir}/applies.log\`, \`\${stable} \${candidate} \${weight}\\n\`);
  const absent = [stable, candidate].find((v) => v && v !== 'v1');
  if (absent) {
    console.error(\`error: version \${absent} is not deployed on fraud-nginx; it has v1. Deploy it with \\\`./deploy.sh \${absent}\\\`\`);
    process.exit(65);
  }
  writeFileSync(state, JSON.stringify({ stable: { version: stable } }));
}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-command-not-deployed-'));
  await writeFile(join(dir, 'platform.mjs'), PLATFORM);
  await writeFile(join(dir, 'serving.json'), JSON.stringify({ stable: { version: 'v1' } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a command target whose platform does not have the candidate', () => {
  it('is reported not deployed when the apply exits 65, and no rollback apply runs', async () => {
    const script = JSON.stringify(join(dir, 'platform.mjs'));
    const { ports, release } = await prReleaseWorld(
      canaryOnTarget(
        `{ type: command, apply: [node, ${script}, ${JSON.stringify(dir)}, apply, "{{stable}}", "{{candidate}}", "{{weight}}"], read: [node, ${script}, ${JSON.stringify(dir)}, read], settle-timeout: 10s, poll-interval: 10ms }`,
      ),
    );
    const [opened] = await release(7, 'v1', 'v2');
    const failed = await ports.ledger.release('fraud');

    expect(opened).toBe('failed');
    expect(failed?.reason).toBe(
      'v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: the apply command `node` (6 arguments) refused v1 90% / v2 10% (exit 65: the platform does not take it, nothing was changed): error: version v2 is not deployed on fraud-nginx; it has v1. Deploy it with `./deploy.sh v2`',
    );
    expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
    expect(await readFile(join(dir, 'applies.log'), 'utf8')).toBe('v1 v2 10\n');
    expect(await ports.ledger.history('fraud')).toEqual([]);
  });
});
