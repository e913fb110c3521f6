import { type Document, isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { ConfigPath } from './messages.js';

export interface ShapeProblem {
  path: ConfigPath;
  /** Where in the text, when that is not where the path leads (an alias, not what it names). */
  offset?: number;
  message: string;
}

/** The tags whose values JSON can hold; a config needs nothing else. */
const JSON_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * What YAML can say but a config cannot, found in the parsed tree before it becomes data:
 * an alias inside the node it names (a cycle: the data would be infinite), a tag beyond
 * JSON's (`!!binary`, `!!set`, `!custom`) and a list or mapping used as a key. One problem each,
 * at the first node that shows it; nothing below that node is looked at.
 */
export function yamlShapeProblems(doc: Document): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const open: Node[] = [];
  const walk = (node: unknown, path: ConfigPath): void => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target && open.includes(target)) {
        problems.push({
          path,
          ...(node.range ? { offset: node.range[0] } : {}),
          message: `the alias *${node.source} repeats a mapping or list that contains it, which would never end; copy the values it needs instead`,
        });
      }
      return;
    }
    const tag = (node as Node | null)?.tag;
    if (tag !== undefined && !JSON_TAGS.has(tag)) {
      const shown = tag.replace(/^tag:yaml\.org,2002:/, '!!');
      problems.push({
        path,
        message: `the YAML tag ${shown} is not supported; write plain strings, numbers, true/false, lists and mappings`,
      });
      return;
    }
    if (isMap(node)) {
      open.push(node);
      for (const pair of node.items) {
        const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (!isScalar(key) && key !== null) {
          problems.push({ path, message: 'a list or mapping is used as a key; keys must be plain text' });
          continue;
        }
        // A merge key's value is a symbol: show it as written, `<<`.
        const name = typeof key?.value === 'symbol' ? key.value.description : key?.value;
        walk(pair.value, [...path, String(name ?? '')]);
      }
      open.pop();
    } else if (isSeq(node)) {
      open.push(node);
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
      open.pop();
    }
  };
  walk(doc.contents, []);
  return problems;
}
