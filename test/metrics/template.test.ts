import { describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/core/errors.js';
import { renderCloudWatch } from '../../src/metrics/cloudwatch-source.js';
import { renderDatadog } from '../../src/metrics/datadog-source.js';
import { renderUrl, splitQuery } from '../../src/metrics/http-json-source.js';
import { renderPromql } from '../../src/metrics/prometheus-source.js';
import { parseSelector, select, selectNumber, selectorProblem } from '../../src/metrics/selector.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import {
  templateProblem,
  templateValues,
  templateVariables,
  windowText,
} from '../../src/metrics/template.js';

const w = (over: Partial<MetricWindow> = {}): MetricWindow => ({
  model: 'fraud-detector',
  slot: 'canary',
  version: 'v2',
  since: 1_700_000_000_500,
  until: 1_700_000_095_200,
  ...over,
});

describe('template variables', () => {
  it('renders {{window}} as whole seconds rounded up and {{since}} as epoch seconds', () => {
    expect(templateValues(w())).toEqual({
      slot: 'canary',
      model: 'fraud-detector',
      version: 'v2',
      name: 'v2',
      window: '95s',
      since: '1700000000',
      until: '1700000096',
    });
    expect(windowText({ since: 0, until: 10 })).toBe('1s');
    expect(windowText({ since: 0, until: 60_000 })).toBe('60s');
  });

  it('fills every placeholder, with or without spaces inside the braces', () => {
    expect(
      renderPromql(
        'sum(increase(x{model="{{model}}",slot="{{ slot }}",version="{{version}}"}[{{window}}])) > {{since}}',
        w(),
      ),
    ).toBe('sum(increase(x{model="fraud-detector",slot="canary",version="v2"}[95s])) > 1700000000');
    expect(templateVariables('{{slot}} {{window}} {{slot}}')).toEqual(['slot', 'window']);
  });

  it('names unknown variables and stray braces', () => {
    expect(templateProblem('x{slot="{{slot}}"}')).toBeUndefined();
    expect(templateProblem('x{slot="{{stage}}"}')).toBe(
      'unknown variable {{stage}} (known: {{slot}}, {{model}}, {{version}}, {{name}}, {{window}}, {{since}}, {{until}})',
    );
    expect(templateProblem('x{{slot')).toMatch(/^"\{\{" at character 2 does not start a variable/);
    expect(() => renderPromql('x{{stage}}', w())).toThrow(MetricsError);
  });
});

describe('a value cannot escape its place in the query', () => {
  const evil = (version: string) => w({ version });

  it('escapes PromQL strings by their quote', () => {
    expect(renderPromql('x{v="{{version}}"}', evil('a"} or vector(1) #'))).toBe(
      'x{v="a\\"} or vector(1) #"}',
    );
    expect(renderPromql("x{v='{{version}}'}", evil("a'b\\"))).toBe("x{v='a\\'b\\\\'}");
    // A backslash-escaped quote inside the template does not end the string early.
    expect(renderPromql('x{v="\\"{{version}}"}', evil('a"b'))).toBe('x{v="\\"a\\"b"}');
    expect(() => renderPromql('x{v=`{{version}}`}', evil('a`b'))).toThrow(/backquote/);
    // A quote in a comment opens no string: the next placeholder is still inside "...".
    expect(renderPromql('x # don\'t\n{v="{{version}}"}', evil('a"b'))).toBe('x # don\'t\n{v="a\\"b"}');
    expect(() => renderPromql('x{v="{{version}}"}', evil('a\nb'))).toThrow(/control character/);
  });

  it('makes a value in a label regex (=~, !~) match itself only', () => {
    const build = evil('1.0.0+build');
    expect(renderPromql('x{v=~"{{version}}"}', build)).toBe('x{v=~"1\\\\.0\\\\.0\\\\+build"}');
    expect(renderPromql('x{v!~ `{{version}}|canary-.*`}', build)).toBe(
      'x{v!~ `1\\.0\\.0\\+build|canary-.*`}',
    );
    // Checked against JavaScript's regular expressions, whose syntax is RE2's here.
    const pattern = new RegExp(`^${'1\\.0\\.0\\+build'}$`);
    expect(pattern.test('1.0.0+build')).toBe(true);
    expect(pattern.test('1x0x00build')).toBe(false);
    // An equality matcher, and a string after some other operator, stay as they were.
    expect(renderPromql('x{v="{{version}}", s=~"{{slot}}"}', build)).toBe('x{v="1.0.0+build", s=~"canary"}');
  });

  it('accepts only plain tokens outside quotes', () => {
    expect(renderPromql('x[{{window}}]', w())).toBe('x[95s]');
    expect(() => renderPromql('x{v={{version}}}', evil('a} or up'))).toThrow(
      /cannot be placed outside a quoted string safely/,
    );
    expect(() => renderDatadog('sum:x{version:{{version}}}', evil('a,env:prod'))).toThrow(MetricsError);
    expect(renderDatadog('sum:x{version:{{version}},slot:{{slot}}}', w())).toBe(
      'sum:x{version:v2,slot:canary}',
    );
  });

  it('never re-reads a substituted value as a template', () => {
    expect(renderPromql('x{v="{{version}}"}', evil('{{slot}}'))).toBe('x{v="{{slot}}"}');
  });

  it('URL-encodes values in URLs wherever they are', () => {
    expect(renderUrl('https://m.example/api/{{model}}?v={{version}}&s={{slot}}', evil('a&b=c/../d#e'))).toBe(
      'https://m.example/api/fraud-detector?v=a%26b%3Dc%2F..%2Fd%23e&s=canary',
    );
  });

  it('JSON-escapes values inside JSON strings of a CloudWatch query', () => {
    const q = renderCloudWatch(
      '{"Id":"m","MetricStat":{"Metric":{"Namespace":"ML","MetricName":"Requests","Dimensions":[{"Name":"Version","Value":"{{version}}"}]},"Stat":"Sum"}}',
      evil('a","Name":"x'),
      120,
    );
    expect(q.queries[0]).toEqual({
      Id: 'm',
      MetricStat: {
        Metric: {
          Namespace: 'ML',
          MetricName: 'Requests',
          Dimensions: [{ Name: 'Version', Value: 'a","Name":"x' }],
        },
        Stat: 'Sum',
        Period: 120,
      },
    });
  });
});

describe('http-json queries', () => {
  it('is a selector, or a URL template and a selector after #', () => {
    expect(splitQuery('data.error_rate', 'https://a/{{slot}}')).toEqual({
      url: 'https://a/{{slot}}',
      selector: 'data.error_rate',
    });
    expect(splitQuery('https://b/x?s={{slot}}#p99', 'https://a')).toEqual({
      url: 'https://b/x?s={{slot}}',
      selector: 'p99',
    });
    expect(() => splitQuery('https://b/x', 'https://a')).toThrow(/names a URL but no selector/);
  });
});

describe('selectors', () => {
  const doc = {
    requests: 10,
    data: { slots: [{ rate: '0.5' }, { rate: null }], 'p99.latency': 0.2, nan: 'NaN', list: [1, 2, 3] },
  };

  it('walks keys, indexes (negative from the end) and quoted keys', () => {
    expect(parseSelector('a.b[0]["c.d"][-1]')).toEqual([
      { key: 'a' },
      { key: 'b' },
      { index: 0 },
      { key: 'c.d' },
      { index: -1 },
    ]);
    expect(select(doc, 'data.list[-1]')).toBe(3);
    expect(selectNumber(doc, 'data["p99.latency"]', 'test')).toBe(0.2);
    expect(selectNumber(doc, 'data.slots[0].rate', 'test')).toBe(0.5);
  });

  it('reads missing, null and NaN as no data', () => {
    expect(selectNumber(doc, 'data.slots[1].rate', 'test')).toBeUndefined();
    expect(selectNumber(doc, 'data.slots[5].rate', 'test')).toBeUndefined();
    expect(selectNumber(doc, 'nothing.here', 'test')).toBeUndefined();
    expect(selectNumber(doc, 'data.nan', 'test')).toBeUndefined();
  });

  it('refuses a selector that points at an object, and bad syntax', () => {
    expect(() => selectNumber(doc, 'data.slots', 'test')).toThrow(
      'test: "data.slots" selects a list, not a number',
    );
    expect(selectorProblem('a..b')).toMatch(/cannot read the selector at character 3/);
    expect(selectorProblem('a[x]')).toMatch(/at character 2/);
    expect(selectorProblem('')).toMatch(/empty selector/);
  });
});
