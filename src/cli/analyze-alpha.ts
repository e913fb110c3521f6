import { fmt } from '../stats/counts.js';

/** The false alarm budget `model-gate analyze` splits when `--alpha` is not given. */
export const DEFAULT_ALPHA = 0.05;

const KAYENTA = 'mann-whitney judges at its confidence, outside the alpha split';

/**
 * The levels a replay's looks were judged at: a gate's share of `--alpha` split across the file's
 * gates, or the line's own `alpha`, which wins. A release writes its own split on every line, so on
 * a release's log no look is judged at the split: the report says the level the lines give instead,
 * and an `--alpha` given there is said to change nothing.
 */
export class AlphaLevels {
  /** Looks judged at the split's share (lines without their own `alpha`). */
  private splitLooks = 0;
  /** The least and the most of the own `alpha` of the lines that spend alpha (none: Infinity, -Infinity). */
  private least = Number.POSITIVE_INFINITY;
  private most = Number.NEGATIVE_INFINITY;
  /** Per gate (its index): the one level its looks were judged at, null once two differ. */
  private readonly gates = new Map<number, number | null>();

  /**
   * @param alpha the `--alpha` given, or DEFAULT_ALPHA when `given` is false
   * @param level its share for each gate that spends it (Bonferroni over those gates)
   */
  constructor(
    readonly alpha: number,
    readonly level: number,
    private readonly given: boolean,
  ) {}

  /** The level a look of gate `index` that spends alpha is judged at: its line's `own` alpha, else the share. */
  look(index: number, own: number | undefined): number {
    const at = own ?? this.level;
    if (own === undefined) this.splitLooks++;
    else {
      this.least = Math.min(this.least, own);
      this.most = Math.max(this.most, own);
    }
    const before = this.gates.get(index);
    this.gates.set(index, before === undefined || before === at ? at : null);
    return at;
  }

  /** A gate's alpha: the level all its looks were judged at; none when they differ (each look says its own). */
  ofGate(index: number): number | undefined {
    return this.gates.get(index) ?? undefined;
  }

  /**
   * How alpha was spent, after the report's `file: N gates, `: `alpha 0.05 split to 0.025 each`
   * (`alpha 0.05` for one gate; `… each of the 2 that spend it` beside mann-whitney gates, which
   * judge at their confidence), or on a release's log `each look at its line's alpha (0.01), as its
   * release split it`.
   */
  text(gates: number, spending: number): string {
    if (spending === 0) return KAYENTA;
    const own = this.ownText();
    let spent: string;
    if (this.splitLooks === 0) spent = `each look at its line's alpha (${own}), as its release split it`;
    else {
      const others =
        spending === gates
          ? ''
          : spending === 1
            ? ' on the 1 that spends it'
            : ` of the ${spending} that spend it`;
      spent =
        spending === 1
          ? `alpha ${this.alpha}${others}`
          : `alpha ${this.alpha} split to ${fmt(this.level)} each${others}`;
      if (own) spent += `, a line's own alpha (${own}) where it gives one`;
    }
    return spending === gates ? spent : `${spent} (${KAYENTA})`;
  }

  /** The warning for an `--alpha` given that no look was judged at (every line its own, or mann-whitney only). */
  unusedWarning(): string | undefined {
    if (!this.given || this.splitLooks > 0) return undefined;
    const why =
      this.least > this.most
        ? 'its gates are mann-whitney ones, which judge at their confidence'
        : `the lines give their own alpha (${this.ownText()}), the level their release judged them at; to judge at another, remove it from them (e.g. jq -c 'del(.alpha)')`;
    return `--alpha ${this.alpha} changes nothing: ${why}`;
  }

  /** The lines' own alphas: `0.01`, or their range `0.01 to 0.025`. */
  private ownText(): string {
    if (this.least > this.most) return '';
    return this.least === this.most ? fmt(this.least) : `${fmt(this.least)} to ${fmt(this.most)}`;
  }
}
