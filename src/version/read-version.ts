import { type Document, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import { quote } from '../config/messages.js';
import { VersionError } from '../core/errors.js';
import { type VersionLocation, validateVersion } from './validate-version.js';
import { missingAnchor, parseYamlDocument, yamlErrorText } from './yaml-document.js';

/**
 * The version declared in a YAML or JSON file (JSON is YAML) under a dotted key
 * (`model.version`; a number segment indexes a list). Numbers keep the text they were
 * written with, so `version: 1.10` reads as "1.10", not 1.1.
 */
export function readVersion(text: string, where: VersionLocation): string {
  const doc = parseYamlDocument(text);
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw new VersionError(
      `${where.file}${at ? `:${at.line}:${at.col}` : ''}: cannot parse as YAML or JSON: ${yamlErrorText(error)}`,
    );
  }
  let node: unknown = doc.contents;
  const segments = where.key.split('.');
  for (const [i, segment] of segments.entries()) {
    node = resolved(node, doc, where);
    const parent = i === 0 ? 'the top level' : `"${segments.slice(0, i).join('.')}"`;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) {
        const keys = node.items.flatMap((p) =>
          isPair(p) && isScalar(p.key) ? [quote(String(p.key.value), 30)] : [],
        );
        throw new VersionError(
          `${where.file}: key "${where.key}" not found: ${parent} has no key "${segment}" (it has: ${keys.slice(0, 20).join(', ') || 'nothing'})`,
        );
      }
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      const item = node.items[Number(segment)];
      if (item === undefined) {
        throw new VersionError(
          `${where.file}: key "${where.key}" not found: ${parent} is a list of ${node.items.length} items, it has no item ${segment}`,
        );
      }
      node = item;
    } else {
      const what = node === null || node === undefined ? 'empty' : isSeq(node) ? 'a list' : 'a single value';
      throw new VersionError(
        `${where.file}: key "${where.key}" not found: ${parent} is ${what}, not a mapping with "${segment}"`,
      );
    }
  }
  node = resolved(node, doc, where);
  if (isScalar(node)) {
    const raw = node.value;
    const source = (node as { source?: unknown }).source;
    const value =
      typeof raw === 'number' && Number.isFinite(raw) && typeof source === 'string' ? source : raw;
    return validateVersion(value, where);
  }
  if (isMap(node) || isSeq(node)) {
    throw new VersionError(
      `${where.file}: key "${where.key}" is ${isMap(node) ? 'a mapping' : 'a list'}, expected a version such as "1.2.3"`,
    );
  }
  return validateVersion(undefined, where);
}

/** The node an alias stands for (any other node as it is); an alias without its anchor is an error naming it. */
function resolved(node: unknown, doc: Document.Parsed, where: VersionLocation): unknown {
  if (!isAlias(node)) return node;
  const target = node.resolve(doc);
  if (target === undefined)
    throw new VersionError(`${where.file}: key "${where.key}" ${missingAnchor(node.source)}`);
  return target;
}
