/**
 * Whether a metric source can read a query at all, asked when the config is loaded: the source's
 * own parser runs on the query filled in with sample values, so a query it would refuse at every
 * look (after the candidate was deployed) is refused before anything is deployed.
 */
import { MetricsError } from '../core/errors.js';
import { renderCloudWatch } from './cloudwatch-source.js';
import { splitQuery } from './http-json-source.js';
import { selectorProblem } from './selector.js';
import type { MetricWindow } from './source.js';

/** Values of the shape real ones have (each a plain token), for a template to be rendered with. */
const SAMPLE: MetricWindow = { model: 'model', slot: 'canary', version: '1.0.0', since: 0, until: 60_000 };

/** What is wrong with `query` on the `source` type, or undefined (also for sources not checked here). */
export function queryProblem(source: string, query: string): string | undefined {
  try {
    switch (source) {
      case 'cloudwatch':
        renderCloudWatch(query, SAMPLE, 60);
        return undefined;
      case 'http-json':
        return selectorProblem(splitQuery(query, '').selector);
      case 'file':
        return selectorProblem(query);
      default:
        return undefined;
    }
  } catch (err) {
    if (err instanceof MetricsError) return err.message.replace(/^(cloudwatch|http-json): /, '');
    throw err;
  }
}
