// Fails when the committed dist/ is not what the bundler makes of the source now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const fresh = mkdtempSync(join(tmpdir(), 'model-gate-dist-'));
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), fresh], { stdio: 'inherit' });

const files = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();

const committed = join(root, 'dist');
const names = [...new Set([...files(fresh), ...files(committed)])];
const stale = names.filter((name) => {
  try {
    return !readFileSync(join(fresh, name)).equals(readFileSync(join(committed, name)));
  } catch {
    return true;
  }
});
rmSync(fresh, { recursive: true, force: true });
if (stale.length > 0) {
  console.error(`dist/ is stale (${stale.join(', ')}): run \`npm run build\` and commit dist/`);
  process.exit(1);
}
console.log('dist/ is up to date');
