// Bundles the action (main and post) and the command line with @vercel/ncc:
//   node scripts/build.mjs [outDir]   (default dist/)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'dist'));
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

// entry -> where its index.js lands inside outDir
const bundles = [
  ['src/action/index.ts', 'index.js'],
  ['src/action/post-index.ts', 'post.js'],
  ['src/cli/index.ts', 'cli/index.js'],
];

rmSync(out, { recursive: true, force: true });
for (const [entry, target] of bundles) {
  const tmp = mkdtempSync(join(tmpdir(), 'model-gate-ncc-'));
  execFileSync(
    process.execPath,
    [ncc, 'build', join(root, entry), '-o', tmp, '-m', '-q', '--target', 'es2023'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  cpSync(join(tmp, 'index.js'), join(out, target));
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`built ${bundles.map(([, t]) => t).join(', ')} into ${out}`);
