import { ConfigError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { digest, isDigest, unmaskedForms } from '../targets/identity.js';
import type { Target, TargetIdentity } from '../targets/target.js';
import { candidateToActOn, type Release } from './types.js';

// A release records the target its candidate was deployed on (Release.target): its identity, what
// addresses the platform (Target.identity: a cluster context, an account, a URL), and its
// description for messages. A run whose config names another target (the model moved: a new URL,
// endpoint, cluster or account) would withdraw, judge or end it there, where it never was, and
// record a withdrawal that did not happen while the candidate keeps its traffic on the old one. It
// acts on nothing of it instead, and fails saying so, naming the way out: the config that names the
// old target, or an abort by hand under this one, which ends the record and touches neither
// platform (endedWithoutWithdrawal). Only identities are compared: descriptions are masked and leave
// fields out, identities hold every addressing field and no secret (masked: identity.ts).

/** A target as a release records it. */
type Recorded = NonNullable<Release['target']>;
type Named = Pick<Target, 'description' | 'identity'>;

/** `target` as a release records it: its description masked (the record goes to a PR comment). */
function recordOf(target: Named): Recorded {
  return { description: redact(target.description), identity: identityOf(target) };
}

/** A target's identity; a test double without one is known by its description. */
const identityOf = (target: Named): TargetIdentity => target.identity ?? { description: target.description };

const MASK = '***';

/**
 * Whether a recorded identity value and this run's name the same thing: equal, or the same but
 * for a secret's text. A record stored before identities were masked holds the text where this
 * run's has `***` or a digest: as this run's read unmasked (its digest too), or, for a URL's `***`,
 * any text there (the key rotated since). A digest recorded of this run's text (a run that took it
 * for a secret) is that text.
 */
function sameValue(recorded: string, current: string): boolean {
  if (recorded === current || unmaskedForms(current).includes(recorded)) return true;
  if (recorded === digest([current])) return true;
  // A record from before secrets in plain fields were kept as digests holds them masked (`***`).
  if (unmaskedForms(current).some((raw) => redact(raw) === recorded)) return true;
  // Not the reverse (a masked record, this run's text): a missed move leaves a candidate live.
  return fitsMasked(current, recorded);
}

/** Whether `text`, masking nothing, is `masked` with some text in place of each `***`. */
function fitsMasked(masked: string, text: string): boolean {
  if (!masked.includes(MASK) || text.includes(MASK)) return false;
  const literal = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${masked.split(MASK).map(literal).join('.+')}$`, 's').test(text);
}

/** Whether two identities name the same platform: the same fields, each the same value. */
function sameIdentity(recorded: TargetIdentity, current: TargetIdentity): boolean {
  const keys = new Set([...Object.keys(recorded), ...Object.keys(current)]);
  return [...keys].every((k) => {
    const [then, now] = [recorded[k], current[k]];
    return then !== undefined && now !== undefined && sameValue(then, now);
  });
}

/** `release` with the target its candidate is to be deployed on, where it is not deployed yet. */
export function deployingOn(release: Release, target: Named): Release {
  if (release.status !== 'analysing' || release.phase >= 0 || release.target !== undefined) return release;
  return { ...release, target: recordOf(target) };
}

/**
 * Whether `release` was recorded on a target other than `target`, this run's. A release recorded
 * before targets were (none recorded) is on this run's, as before.
 */
export function onOtherTarget(release: Release, target: Named): boolean {
  const deployed = release.target;
  return deployed !== undefined && !sameIdentity(deployed.identity, identityOf(target));
}

/**
 * The recorded target and this run's as messages name them: their descriptions, each followed by
 * the identity fields that tell them apart where the descriptions are the same (`with context prod-eu`;
 * a digest for a URL's query or a command's arguments, whose text may hold a secret). No secret:
 * values are masked, and one beside a masked value, which may hold the secret that one masks (a
 * record stored before identities were masked), is shown as its digest.
 */
export function targetNames(deployed: Recorded, target: Named): { deployed: string; named: string } {
  const named = recordOf(target);
  if (deployed.description !== named.description)
    return { deployed: deployed.description, named: named.description };
  const keys = [...new Set([...Object.keys(deployed.identity), ...Object.keys(named.identity)])];
  const differ = keys.filter((k) => {
    const [then, now] = [deployed.identity[k], named.identity[k]];
    return then === undefined || now === undefined || !sameValue(then, now);
  });
  const fields = (identity: TargetIdentity, other: TargetIdentity) =>
    differ
      .map((k) => {
        const value = identity[k];
        return value === undefined ? `no ${k}` : `${k} ${shownBeside(value, other[k])}`;
      })
      .join(', ');
  return {
    deployed: `${deployed.description} with ${fields(deployed.identity, named.identity)}`,
    named: `${named.description} with ${fields(named.identity, deployed.identity)}`,
  };
}

/**
 * `value` as a message shows it beside `other`, the other target's: masked, or its digest where
 * `other` hides a secret (masked, or kept as a digest for one).
 */
function shownBeside(value: string, other: string | undefined): string {
  const shown = redact(value);
  // A digest already (a secret kept so) is shown as recorded: one of it would match nothing.
  if (isDigest(value) || shown.includes(MASK) || other === undefined) return shown;
  const hides = redact(other).includes(MASK) || unmaskedForms(other).length > 0;
  return hides ? digest([value]) : shown;
}

/** `PR #8's candidate v2`, or `the candidate v2` without a PR. */
const candidateOf = (release: Release) =>
  `${release.pr === undefined ? 'the' : `PR #${release.pr}'s`} candidate ${release.to}`;

/**
 * The way out for a candidate recorded on `deployed`, which this run's config does not name:
 * withdraw it under a config naming that target; where that target is gone (a sandbox restarted on
 * another port, a cluster torn down), an abort by hand under this config ends the record alone.
 */
const wayOut = (release: Release, deployed: string) =>
  `Withdraw it under a config that names ${deployed}: revert the target change, or run command: abort with such a config; then change the target. If ${deployed} is gone or no longer serves ${release.to}, run command: abort (model-gate run abort) for ${release.model} under this config: it ends the record without touching either platform`;

/**
 * Throws a ConfigError when `release`'s candidate may still get live traffic (analysing, its
 * withdrawal pending, its change to idle pending) on a target other than `target`, this run's,
 * naming the model, both targets and the ways out. A release recorded before targets were (none
 * recorded) passes, as before.
 */
export function checkSameTarget(release: Release, target: Named): void {
  const deployed = release.target;
  if (deployed === undefined || !candidateToActOn(release)) return;
  if (!onOtherTarget(release, target)) return;
  const names = targetNames(deployed, target);
  throw new ConfigError([
    `${release.model}: ${candidateOf(release)} was deployed on ${names.deployed}, but this run's config names ${names.named} as its target: model-gate leaves it alone, and ${release.to} may still get live traffic there. ${wayOut(release, names.deployed)}`,
  ]);
}

/**
 * Throws a ConfigError when `release`'s candidate was deployed (and analysed) on a target other
 * than `target`, this run's, whatever its state: promoting it there would serve callers a version
 * never analysed on that platform, and record a promotion of what its own target never served. The
 * message names the model, both targets and how to promote it; the caller records nothing.
 * A release recorded before targets were (none recorded) passes, as before.
 */
export function checkPromotionTarget(release: Release, target: Named): void {
  const deployed = release.target;
  if (deployed === undefined || !onOtherTarget(release, target)) return;
  const names = targetNames(deployed, target);
  throw new ConfigError([
    `${release.model}: ${candidateOf(release)} was analysed on ${names.deployed}, but this run's config names ${names.named} as its target: model-gate does not promote it there, and its record is left as it is. Promote it under a config that names ${names.deployed}: revert the target change and run this again (or run command: promote with such a config); then change the target. If ${names.deployed} is gone, run command: abort for ${release.model} under this config: it ends the record without touching either platform`,
  ]);
}

/**
 * An abort by hand (command: abort, `model-gate run abort`) of `release`, recorded on a target
 * other than `target`, this run's: the record is ended (aborted) and neither platform touched:
 * this config cannot reach the old target (a sandbox restarted on another port: each call there
 * fails), and the new one never had the candidate. The reason says so plainly, and that the
 * candidate may still serve there; its phases stay as recorded (none is said withdrawn), and no
 * withdrawal is pending, so no later run tries one where the candidate never was.
 */
export function endedWithoutWithdrawal(release: Release, target: Named, by: string, now: number): Release {
  const deployed = release.target ? targetNames(release.target, target).deployed : 'another target';
  const { withdrawPending: _, idlePending: __, ...rest } = release;
  return {
    ...rest,
    status: 'aborted',
    // Its open phase ends here, without an outcome: nothing was withdrawn (report/rows.ts words it).
    phases: release.phases.map((p) => (p.endedAt === undefined ? { ...p, endedAt: now } : p)),
    updatedAt: now,
    ending: { ...release.ending, recordOnly: true },
    reason: `aborted ${by}: ${release.to} was deployed on ${deployed}, which this config does not name: its record is ended; nothing was withdrawn there — if ${deployed} still serves ${release.to}, withdraw it there`,
  };
}

/**
 * A rollback's line on `candidate`, recorded on a target other than `target`, which the rollback
 * (on this run's target) left alone: where it is, and how to end it.
 */
export function leftOnOtherTarget(candidate: Release, target: Named): string {
  const deployed = candidate.target ? targetNames(candidate.target, target).deployed : 'another target';
  const state = candidate.withdrawPending ? `${candidate.status}, its withdrawal pending` : candidate.status;
  return `${candidateOf(candidate)} (${state}) was deployed on ${deployed}, which this config does not name: the rollback left it alone, and ${candidate.to} may still get live traffic there. Withdraw it under a config that names ${deployed} (command: abort with such a config), or, if ${deployed} is gone, run command: abort for ${candidate.model} under this config: it ends the record without touching either platform`;
}
