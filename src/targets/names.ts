import { TargetError } from '../core/errors.js';
import { TargetRefusedError } from './errors.js';
import type { Share } from './split.js';
import { type KnownVersions, knownVersionList } from './target.js';

/**
 * Platforms name what serves a version (a SageMaker variant, an Azure ML deployment, a
 * Seldon Model, a Vertex deployed model's display name) by a template from the config:
 * `{{model}}` is the model's key and `{{version}}` its version. Characters the platform does
 * not allow become `-`; names are checked against the platform's own rule.
 */
export interface PlatformNames {
  /** The name of `version`; a TargetError when the platform would refuse it. */
  nameOf(version: string): string;
  /** The name of `version`, or undefined when the platform would refuse it (Target.platformName). */
  nameFor(version: string): string | undefined;
  /**
   * The version a platform name stands for: the one of `known` it names, else one this adapter
   * has named, else the template read backwards when that names it again (`fraud-1-1-0` reads as
   * `1-1-0`: what the template changed is lost, so callers pass the versions they know);
   * undefined for a name the template gives no version.
   */
  versionOf(name: string, known?: readonly string[]): string | undefined;
  /**
   * Platform entries (a name and its percent) as shares by version. A name that stands for no
   * version (versionOf) is left out at 0%; with traffic it is an error, as no version can be said
   * to serve. `mirrored`: the percent is a mirror's, for the message.
   */
  sharesOf(
    entries: readonly { name: string; percent: number }[],
    known: KnownVersions | undefined,
    description: string,
    mirrored?: boolean,
  ): Share[];
}

export interface NameRule {
  /** What the platform calls it: `variant name`. */
  what: string;
  pattern: RegExp;
  /** Characters outside this class become `-`. */
  allowed: RegExp;
  lowercase?: boolean;
  maxLength: number;
  rule: string;
  /** The target's config field that holds the template (`model-name`), for messages. */
  field?: string;
}

/** Two versions that would share one platform name: model-gate's refusal, not the platform's. */
export class NameClashError extends TargetRefusedError {}

export function platformNames(template: string, model: string, rule: NameRule): PlatformNames {
  const seen = new Map<string, string>();
  const clean = (text: string) => {
    const replaced = [...text].map((c) => (rule.allowed.test(c) ? c : '-')).join('');
    return rule.lowercase ? replaced.toLowerCase() : replaced;
  };
  const withModel = template.split('{{model}}').join(clean(model));
  const [prefix = '', suffix = ''] = withModel.split('{{version}}');
  /** The name of `version`, or undefined when the platform would not accept it. */
  const nameFor = (version: string): string | undefined => {
    const name = withModel.split('{{version}}').join(clean(version));
    return name.length > rule.maxLength || !rule.pattern.test(name) ? undefined : name;
  };
  const names: PlatformNames = {
    nameFor,
    nameOf(version) {
      const name = nameFor(version);
      if (name === undefined) {
        const refused = withModel.split('{{version}}').join(clean(version));
        throw new TargetError(
          `version ${JSON.stringify(version)} gives the ${rule.what} ${JSON.stringify(refused)}, which the platform does not accept (${rule.rule}); change the target's name template`,
        );
      }
      const other = seen.get(name);
      // Two versions behind one name: the platform would move the other's traffic, and read back
      // one as the other. Refused when the second is named, which every write does for all of its
      // versions before its first call, so nothing has changed yet.
      if (other !== undefined && other !== version) throw nameClash(other, version, name);
      seen.set(name, version);
      return name;
    },
    versionOf(name, known = []) {
      const given = known.find((version) => nameFor(version) === name) ?? seen.get(name);
      if (given !== undefined) return given;
      if (name.startsWith(prefix) && name.endsWith(suffix) && name.length > prefix.length + suffix.length) {
        const read = name.slice(prefix.length, name.length - suffix.length);
        if (nameFor(read) === name) return read;
      }
      return undefined;
    },
    sharesOf(entries, known, description, mirrored = false) {
      const versions = knownVersionList(known);
      const shares: Share[] = [];
      for (const { name, percent } of entries) {
        const version = names.versionOf(name, versions);
        if (version !== undefined) shares.push({ version, percent });
        else if (percent > 0) {
          const knownText = versions.length > 0 ? ` (nor any of ${versions.join(', ')})` : '';
          throw new TargetError(
            `${description} ${mirrored ? 'mirrors' : 'sends'} ${Math.round(percent * 100) / 100}% of live traffic to the ${rule.what} ${JSON.stringify(name)}, which the template ${JSON.stringify(template)} gives no version${knownText}, so what serves is unknown: serve each version by the name the template gives it, or change the template`,
          );
        }
      }
      return shares;
    },
  };
  /**
   * Why `version` cannot be served: `other` already has its name. A refusal of the request itself
   * (as the platform's 400 is): the PR's version or the template must change, not a retry.
   */
  const nameClash = (other: string, version: string, name: string) => {
    const field = rule.field === undefined ? '' : ` (${rule.field})`;
    const changed = `turns each character the platform does not allow into '-'${rule.lowercase ? ' and lowercases letters' : ''}`;
    const only = rule.lowercase ? 'punctuation or case' : 'punctuation';
    return new NameClashError(
      `versions ${JSON.stringify(other)} and ${JSON.stringify(version)} both get the ${rule.what} ${JSON.stringify(name)}: the name template ${JSON.stringify(template)}${field} ${changed} (${rule.rule}), so one would be served and read back as the other; model-gate sent nothing for ${JSON.stringify(version)}. Declare a version that differs from ${JSON.stringify(other)} in its letters or digits, not only in ${only}, or change the name template so that each version gets a name of its own`,
    );
  };
  return names;
}

/** Kubernetes object names (RFC 1123 subdomain), used by Seldon Models. */
export const KUBERNETES_NAME: NameRule = {
  what: 'Kubernetes object name',
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  allowed: /[A-Za-z0-9.-]/,
  lowercase: true,
  maxLength: 253,
  rule: "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
  field: 'model-name',
};
