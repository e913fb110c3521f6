import type { GateConfig } from '../config/types.js';
import { hideUrlSecrets } from '../core/safe-url.js';
import { clip } from '../core/text.js';
import { quantileName } from '../gates/bounds.js';

/**
 * The longest query a gate's label shows whole: a name (`error-rate`, `stats.agreement`) reads at
 * a glance; a PromQL or SQL query, often 100 characters and more, would widen the whole table.
 */
const SHOWN_QUERY = 40;

/** A query that reads as a name: no spaces, operators or brackets. */
const nameLike = (query: string) => query.length <= SHOWN_QUERY && /^[\w.:-]+$/.test(query);

/** The query on one line, clipped: enough to recognise it, the table still readable. */
const shortQuery = (query: string) => clip(query.replace(/\s+/g, ' ').trim(), SHOWN_QUERY);

/**
 * The gate's name and what it measures, for the gate column: `errors (error-rate)`,
 * `errors (errors / requests)`; a ratio of full queries as `errors (ratio)`, its division
 * otherwise unreadable there (`X or vector(0) / Y`). A query's URL without what could be a secret.
 */
export function gateLabel(config: GateConfig | undefined, name: string): string {
  switch (config?.kind) {
    case 'threshold':
      return `${name} (${shortQuery(hideUrlSecrets(config.query))})`;
    case 'ratio':
      return `${name} (${quotient(config.events, config.total, 'ratio')})`;
    case 'latency':
      return `${name} (${quantileName(config.quantile)})`;
    case 'srm':
      return `${name} (${config.units === undefined ? 'split' : 'user split'})`;
    case 'conversion':
      return `${name} (${quotient(config.conversions, config.exposures, 'conversion')})`;
    case 'drift':
      return `${name} (${nameLike(config.buckets) ? `${config.buckets} distribution` : 'distribution'})`;
    case 'webhook':
      return `${name} (webhook)`;
    default:
      return `${name} (offline)`;
  }
}

/** `errors / requests` of two named counts; of full queries, what the gate computes (`ratio`). */
const quotient = (over: string, under: string, what: string) =>
  nameLike(over) && nameLike(under) ? `${over} / ${under}` : what;
