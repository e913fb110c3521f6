import * as core from '@actions/core';
import { redact } from '../core/redact.js';

/**
 * A defect's stack, for the debug log only: it helps a report, but points into the minified bundle
 * and may quote values, so secrets go first. The step's own error is one line (defects.ts reportIt).
 */
export const debugStack = (defect: Error): void => core.debug(redact(defect.stack ?? defect.message));
