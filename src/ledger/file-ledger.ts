import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DriftReport } from '../release/drift-watch.js';
import { holdsSlot, type Release } from '../release/types.js';
import type { Ledger, LedgerEntry } from './ledger.js';

interface LedgerFile {
  version: 1;
  releases: Record<string, Release>;
  history: LedgerEntry[];
  drift?: (DriftReport & { at: number })[];
}

/**
 * A ledger in one JSON file, for the CLI and for runs without GitHub. Each write
 * replaces the file atomically (write then rename), so a killed job never leaves half a file.
 */
export function fileLedger(path: string): Ledger {
  async function load(): Promise<LedgerFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, releases: {}, history: [] };
      throw err;
    }
    try {
      return JSON.parse(text) as LedgerFile;
    } catch {
      throw new Error(`the ledger ${path} is not valid JSON: fix or delete it`);
    }
  }
  async function save(data: LedgerFile): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
    await rename(tmp, path);
  }
  return {
    async release(model) {
      return (await load()).releases[model];
    },
    async saveRelease(release) {
      const data = await load();
      data.releases[release.model] = release;
      await save(data);
    },
    async record(entry) {
      const data = await load();
      data.history.push(entry);
      await save(data);
    },
    async history(model) {
      return (await load()).history.filter((e) => e.model === model);
    },
    async recordDrift(report) {
      const data = await load();
      data.drift = [...(data.drift ?? []), { ...report, at: Date.now() }];
      await save(data);
    },
    async canaryHolder(model) {
      const release = (await load()).releases[model];
      return release && holdsSlot(release) ? release : undefined;
    },
  };
}
