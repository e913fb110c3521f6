import type { FileReader } from '../version/changed-models.js';

/** A PR's base as its run compares from: where its head branched (the reader's merge base, asked once a run). */
export const branchPoint =
  (reader: FileReader, pr: { baseSha: string; headSha: string }) => (): Promise<string> =>
    reader.mergeBase && pr.baseSha !== ''
      ? reader.mergeBase(pr.baseSha, pr.headSha)
      : Promise.resolve(pr.baseSha);
