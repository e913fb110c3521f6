import type { TrafficState } from '../core/traffic.js';
import type { StickySplit } from './capabilities.js';

/**
 * The versions a caller knows of when it reads a target: a release's `from` and `to`, a ledger's
 * last stable, a rollback's target. A platform that names versions by a template (a SageMaker
 * variant, an Azure ML deployment) maps its names back to these, not to the template read
 * backwards, which loses what the name changed (`1.1.0` becomes the deployment `fraud-1-1-0`); and
 * one that keeps no roles (weights only) takes them from here, not from the larger share, which a
 * candidate may hold (a 75% step, blue-green's bake, a 50/50 split).
 */
export interface KnownVersions {
  /**
   * The version the caller takes as stable (a release's `from`): stable while it has live traffic,
   * and at 0% while `candidate` alone has it (a step of 100%).
   */
  stable?: string | undefined;
  /** The candidate of a release in flight, which may hold any share of live traffic. */
  candidate?: string | undefined;
  /** Versions known by name only, given no role (a rollback's target, the ledger's earlier versions). */
  others?: readonly string[] | undefined;
}

/** Every version `known` names, roles first. */
export const knownVersionList = (known: KnownVersions | undefined): string[] =>
  [known?.stable, known?.candidate, ...(known?.others ?? [])].filter((v): v is string => v !== undefined);

/** The versions of a traffic state, in their roles (its mirror by name only). */
export const knownOf = (state: TrafficState): KnownVersions => ({
  stable: state.stable.version,
  candidate: state.canary?.version,
  others: state.mirror ? [state.mirror.version] : [],
});

/**
 * A serving platform, driven declaratively: `write` asks for a traffic state, `read`
 * says what the platform really serves. Use `reconcile` (not `write`) to change traffic.
 */
export interface Target {
  /** For messages: `sandbox fraud-detector at http://127.0.0.1:8080`. */
  readonly description: string;
  /**
   * Which platform a traffic change lands on: the target's `type` and every config field that
   * addresses it (a kubeconfig context, an account, a URL and its query), built from the config
   * alone (identity.ts): never a credential, header, timeout or secret, so a rotated token or a
   * longer settle-timeout is the same platform, and runs registering other secrets agree. A release
   * records it (deployed-target.ts). Absent (a test double): its description stands for it.
   */
  readonly identity?: TargetIdentity;
  /**
   * How it splits an A/B, from its capabilities; absent: `key` (the read-back must show the
   * sticky key).
   */
  readonly stickySplit?: StickySplit;
  /**
   * The platform's own name for `version`, by the target's name template with the platform's
   * character rule applied: the SageMaker variant `fraud-{{version}}` serves v1.2 as `fraud-v1-2`
   * (also an Azure ML deployment, a Seldon Model, a Vertex deployed model's display name). The
   * platform's metrics carry it, so a metric query's `{{name}}` is it. Undefined where the platform
   * would refuse the name; absent on a target that names no version (sandbox, kserve, http, command).
   */
  platformName?(version: string): string | undefined;
  /**
   * What serves. `known`: the versions the caller knows, for a platform that names versions by a
   * template or reports weights without roles; one that reports versions and roles itself (the
   * sandbox, http, command, kserve) ignores it. Without it such a platform falls back to the
   * roles last written and the template read backwards.
   */
  read(known?: KnownVersions): Promise<TrafficState>;
  /**
   * Asks for `desired`. A target whose settle-timeout bounds a change and the read-back after it
   * together (a watch job's lease and max-wait count on one change taking at most that) returns
   * that read-back, which keeps the change's deadline; reconcile reads through it. A wrapper that
   * drops it only loses the shared deadline: reconcile then reads with `read`.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most targets' write returns nothing at all
  write(desired: TrafficState): Promise<ReadBack | void>;
}

/** What a metric query's `{{name}}` is for `version` on `target`: its platform name, else the version as written. */
export const platformNameOf = (target: Pick<Target, 'platformName'>, version: string): string =>
  target.platformName?.(version) ?? version;

/** Field name to value, `type` first: `{ type: 'kserve', namespace: 'ml', name: 'fraud', context: 'prod-eu' }`. */
export type TargetIdentity = Readonly<Record<string, string>>;

/** A read of what serves, made right after a change and within that change's deadline. */
export type ReadBack = (known: KnownVersions) => Promise<TrafficState>;

/**
 * Where a target tells the run what it did that the user did not ask for (the engine's `log`
 * port, so the job log): without it, that goes unsaid.
 */
export interface TargetLog {
  warn(message: string): void;
}
