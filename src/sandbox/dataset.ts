/** Synthetic labelled rows for the demo models: what "live traffic" and its ground truth look like. */
import { Random } from '../core/random.js';

export interface Row {
  id: string;
  features: number[];
  label: 0 | 1;
}

/** The true model the labels come from; the demo artifacts are noisy estimates of it. */
export const TRUE_MODEL = { weights: [1.5, -1.0, 0.8, 0.4], bias: -1.0 } as const;

/** An endless, seeded stream: 4 standard-normal features, label ~ Bernoulli(sigmoid(w·x + b)). */
export function* syntheticRows(seed: number): Iterator<Row> {
  const random = new Random(seed);
  for (let n = 0; ; n++) {
    const features = TRUE_MODEL.weights.map(() => random.normal());
    let z: number = TRUE_MODEL.bias;
    features.forEach((x, i) => {
      z += (TRUE_MODEL.weights[i] ?? 0) * x;
    });
    const label = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    yield { id: `s${seed}-${n}`, features, label };
  }
}
