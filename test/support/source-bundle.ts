import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..', '..');
// Under node_modules, so the packages the bundle leaves out resolve as they do from src/.
const dir = join(root, 'node_modules', '.cache', 'model-gate-test-bundles');
const DAY_MS = 24 * 3600 * 1000;
const bundles = new Map<string, Promise<string>>();

/**
 * The `node` arguments that run `entry` (a .ts file, from the repository's root) from source as its
 * own process, as `--import tsx` does: bundled once with esbuild and reused by every process and
 * test file until a file under src/ or test/ changes, so a process loads one file instead of tsx
 * resolving and compiling some 300 modules again (a second or more of CPU each on a 2-core runner).
 */
export async function fromSourceArgs(entry: string): Promise<string[]> {
  let file = bundles.get(entry);
  if (!file) {
    file = bundled(entry);
    bundles.set(entry, file);
  }
  return ['--enable-source-maps', await file];
}

async function bundled(entry: string): Promise<string> {
  const file = join(dir, `${basename(entry, '.ts')}-${await sourcesKey(entry)}.mjs`);
  if (existsSync(file)) {
    // Used: kept by the pruning below.
    const now = new Date();
    await utimes(file, now, now).catch(() => {});
    return file;
  }
  const { outputFiles } = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    // Stack traces name src/*.ts lines, as under tsx.
    sourcemap: 'inline',
    outfile: file,
    write: false,
    logLevel: 'silent',
  });
  await mkdir(dir, { recursive: true });
  // Another test worker may write the same bundle meanwhile: each writes aside, then renames.
  const aside = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(aside, outputFiles[0]?.contents ?? '');
  await rename(aside, file);
  await pruneUnused();
  return file;
}

/**
 * A key that changes when any .ts file under src/ or test/ (the entry among them) changes, or
 * tsconfig.json (which esbuild reads: class fields, decorators) or package.json (esbuild's version,
 * the packages left out).
 */
async function sourcesKey(entry: string): Promise<string> {
  const hash = createHash('sha256').update(entry);
  for (const f of ['tsconfig.json', 'package.json']) {
    const s = await stat(join(root, f)).catch(() => undefined);
    if (s) hash.update(`${f}:${s.mtimeMs}:${s.size}\n`);
  }
  for (const top of ['src', 'test']) {
    const files = (await readdir(join(root, top), { recursive: true }))
      .filter((f) => f.endsWith('.ts'))
      .sort();
    for (const f of files) {
      // A file deleted since the listing (another run's scratch test) changes nothing the bundle holds.
      const s = await stat(join(root, top, f)).catch(() => undefined);
      if (s) hash.update(`${top}/${f}:${s.mtimeMs}:${s.size}\n`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** Bundles of sources long since changed: none has been used for a day. */
async function pruneUnused(): Promise<void> {
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs > DAY_MS) await rm(path, { force: true });
  }
}
