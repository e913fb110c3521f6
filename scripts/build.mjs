// Bundles the action and the command line with @vercel/ncc into dist/:
//   node scripts/build.mjs [outDir]   (default dist/)
// Everything is one bundle (src/bundle.ts -> bundle.js), built and minified once; the files the
// Actions runner and the `model-gate` bin start are two-line entry points into it. The build
// happens aside and is swapped in at the end, so a failed or killed build never leaves a
// half-written dist/.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'dist'));
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

/** What each started file runs: the action's main step, its post step, the command line. */
const entries = {
  'index.js': "import { run } from './bundle.js';\n\nawait run();\n",
  'post.js': "import { post } from './bundle.js';\n\nawait post();\n",
  'cli/index.js':
    "import { main } from '../bundle.js';\n\nprocess.exitCode = await main(process.argv.slice(2));\n",
};

const staging = mkdtempSync(join(tmpdir(), 'model-gate-dist-'));
const bundled = mkdtempSync(join(tmpdir(), 'model-gate-ncc-'));
try {
  execFileSync(
    process.execPath,
    [ncc, 'build', join(root, 'src', 'bundle.ts'), '-o', bundled, '-m', '-q', '--target', 'es2023'],
    { cwd: root, stdio: 'inherit' },
  );
  cpSync(join(bundled, 'index.js'), join(staging, 'bundle.js'));
  for (const [file, text] of Object.entries(entries)) {
    mkdirSync(join(staging, file, '..'), { recursive: true });
    writeFileSync(join(staging, file), text);
  }
  rmSync(out, { recursive: true, force: true });
  cpSync(staging, out, { recursive: true });
} finally {
  rmSync(staging, { recursive: true, force: true });
  rmSync(bundled, { recursive: true, force: true });
}
console.log(`built bundle.js and ${Object.keys(entries).join(', ')} into ${out}`);
