/** `report` with `line` as a paragraph under its heading (its first line). */
export function underHeading(report: string, line: string): string {
  const [heading, ...rest] = report.split('\n');
  return [heading, '', line, ...rest].join('\n');
}
