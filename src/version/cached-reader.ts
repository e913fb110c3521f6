import type { FileReader } from './changed-models.js';

/** A full commit SHA (SHA-1 or SHA-256): the one kind of ref whose files never change. */
const COMMIT_SHA = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

/**
 * `reader`, reading each file at a commit SHA once for as long as this reader lives (one run):
 * the plan, the changed models and each later look at a version file share one read, and one
 * GitHub request. Any other ref (a branch, the CLI's working tree) is read afresh every time,
 * since its files can change between two reads. A failed read is not kept: the next caller
 * tries again.
 */
export function cachedReader(reader: FileReader): FileReader {
  const files = new Map<string, Promise<string | undefined>>();
  return {
    read(ref, path) {
      if (!COMMIT_SHA.test(ref)) return reader.read(ref, path);
      const key = `${ref}\0${path}`;
      let text = files.get(key);
      if (!text) {
        text = reader.read(ref, path);
        files.set(key, text);
        const kept = text;
        kept.catch(() => {
          if (files.get(key) === kept) files.delete(key);
        });
      }
      return text;
    },
  };
}
