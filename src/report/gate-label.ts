import type { GateConfig } from '../config/types.js';
import { hideUrlSecrets } from '../core/safe-url.js';
import { clip } from '../core/text.js';
import { quantileName } from '../gates/bounds.js';

/**
 * The longest query a gate's label shows whole: a name (`error-rate`, `stats.agreement`) reads at
 * a glance; a PromQL or SQL query, often 100 characters and more, would widen the whole table.
 */
const SHOWN_QUERY = 40;

/**
 * What a gate's label says in place of what it measures when this run has no config of it: its
 * model left out (a command on another model, load.ts `only`) or the gate gone from the config.
 */
export const NO_CONFIG = 'no config this run';

/** A query that reads as a name: no spaces, operators or brackets. */
const nameLike = (query: string) => query.length <= SHOWN_QUERY && /^[\w.:-]+$/.test(query);

/** The query on one line, clipped: enough to recognise it, the table still readable. */
const shortQuery = (query: string) => clip(query.replace(/\s+/g, ' ').trim(), SHOWN_QUERY);

/**
 * The gate's name and what it measures, for the gate column: `errors (error-rate)`,
 * `errors (errors / requests)`; a ratio of full queries as `errors (ratio)`, its division
 * otherwise unreadable there (`X or vector(0) / Y`). A query's URL without what could be a secret.
 * A gate with no config this run says so (NO_CONFIG): what it measures is not known, and a
 * guessed kind misleads.
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
    case 'offline':
      return `${name} (offline)`;
    case undefined:
      return `${name} (${NO_CONFIG})`;
  }
}

/** `errors / requests` of two named counts; of full queries, what the gate computes (`ratio`). */
const quotient = (over: string, under: string, what: string) =>
  nameLike(over) && nameLike(under) ? `${over} / ${under}` : what;
