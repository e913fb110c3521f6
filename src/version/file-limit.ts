/**
 * The largest version or evaluation file model-gate reads, from GitHub or with git: GitHub's
 * contents API serves files up to 100 MB (its docs: "Greater than 100 MB: not supported"), and
 * the git reader holds to the same, so both ledgers read the same files.
 */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/** The limit as a message says it: `100 MB`. */
export const MAX_FILE_SIZE = `${MAX_FILE_BYTES / 1024 / 1024} MB`;
