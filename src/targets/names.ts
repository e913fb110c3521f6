import { TargetError } from '../core/errors.js';

/**
 * Platforms name what serves a version (a SageMaker variant, an Azure ML deployment, a
 * Seldon Model, a Vertex deployed model's display name) by a template from the config:
 * `{{model}}` is the model's key and `{{version}}` its version. Characters the platform does
 * not allow become `-`; names are checked against the platform's own rule.
 */
export interface PlatformNames {
  nameOf(version: string): string;
  /** The version a platform name stands for: one this adapter has named, else the template read backwards. */
  versionOf(name: string): string;
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
}

export function platformNames(template: string, model: string, rule: NameRule): PlatformNames {
  const seen = new Map<string, string>();
  const clean = (text: string) => {
    const replaced = [...text].map((c) => (rule.allowed.test(c) ? c : '-')).join('');
    return rule.lowercase ? replaced.toLowerCase() : replaced;
  };
  const withModel = template.split('{{model}}').join(clean(model));
  const [prefix = '', suffix = ''] = withModel.split('{{version}}');
  return {
    nameOf(version) {
      const name = withModel.split('{{version}}').join(clean(version));
      if (name.length > rule.maxLength || !rule.pattern.test(name)) {
        throw new TargetError(
          `version ${JSON.stringify(version)} gives the ${rule.what} ${JSON.stringify(name)}, which the platform does not accept (${rule.rule}); change the target's name template`,
        );
      }
      seen.set(name, version);
      return name;
    },
    versionOf(name) {
      const known = seen.get(name);
      if (known !== undefined) return known;
      if (name.startsWith(prefix) && name.endsWith(suffix) && name.length > prefix.length + suffix.length) {
        return name.slice(prefix.length, name.length - suffix.length);
      }
      return name;
    },
  };
}

/** Kubernetes object names (RFC 1123 subdomain), used by Seldon Models. */
export const KUBERNETES_NAME: NameRule = {
  what: 'Kubernetes object name',
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  allowed: /[A-Za-z0-9.-]/,
  lowercase: true,
  maxLength: 253,
  rule: "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
};
