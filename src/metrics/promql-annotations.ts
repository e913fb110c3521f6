/**
 * PromQL annotations: what Prometheus (2.44 and later) attaches to an answer about the query
 * itself, in the API's `warnings` ("PromQL warning: encountered a mix of histograms and floats
 * for metric name ...") and, from 2.52, its `infos` ("PromQL info: metric might not be a counter,
 * name does not end in _total/_sum/_count/_bucket: ..."). The data is whole: such an answer is
 * judged as any other, and each annotation goes to the step log once per query, not at every look.
 */
import { showQuery } from './show-query.js';

/** Where annotations are said. */
export interface AnnotationLog {
  warn(message: string): void;
}

/** The step log by default: stderr, which the Actions step log and a terminal both show. */
export const stderrLog: AnnotationLog = { warn: (message) => console.warn(message) };

export const isPromqlAnnotation = (warning: string) => /^PromQL (info|warning):/.test(warning);

/** Its position (`(1:6)`) dropped: it moves as `{{window}}` renders longer from look to look. */
const withoutPosition = (annotation: string) => annotation.replace(/\s*\(\d+:\d+\)$/, '');

/** What has been said in this process: a look every 30 s must not repeat it. */
const said = new Set<string>();

/**
 * Says each annotation of an answer to `query` once for `key` (the server and the query as
 * configured, so that both arms and every window of it share one).
 */
export function sayAnnotationsOnce(
  log: AnnotationLog,
  key: string,
  query: string,
  annotations: string[],
): void {
  for (const annotation of annotations) {
    const id = `${key}\n${withoutPosition(annotation)}`;
    if (said.has(id)) continue;
    said.add(id);
    log.warn(
      `prometheus: ${annotation}, for ${showQuery(query)}: the answer is judged as it is (an annotation changes no verdict), but check the query; said once per query`,
    );
  }
}
