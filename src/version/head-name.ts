import { WORKING_TREE } from './local-comparison.js';

/** A head as a reader knows it: its short SHA, or `the working tree` (the CLI's files on disk). */
export const headName = (sha: string): string =>
  sha === WORKING_TREE ? 'the working tree' : sha.slice(0, 7);
