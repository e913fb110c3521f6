import { MetricsError } from '../core/errors.js';

/**
 * The backend answered, but not with data a gate may use: a partial answer (a Thanos store or a
 * VictoriaMetrics node that did not answer). Never a value that could pass; the message carries
 * the backend's own words, so the look's note says why there is no data.
 */
export class NoDataError extends MetricsError {}
