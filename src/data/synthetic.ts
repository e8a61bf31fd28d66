/**
 * Seeded synthetic classification data of any shape: each class has a random prototype image;
 * an example is its class prototype plus Gaussian noise. Learnable, and the same for the same seed.
 */
import { createRng } from '../core/rng.js';
import type { DataSpec, Dataset } from '../core/dataset.js';
import type { ImageShape } from '../core/shapes.js';
import { splitAndNormalise } from './prepare.js';

export interface SyntheticSpec {
  inputShape: ImageShape;
  classes: number;
  trainCount: number;
  testCount: number;
  /** Noise standard deviation relative to the prototypes' (default 1). */
  noise?: number;
}

export function makeSyntheticRaw(spec: SyntheticSpec, seed: number) {
  const rng = createRng(`synthetic:${seed}`);
  const size = spec.inputShape[0] * spec.inputShape[1] * spec.inputShape[2];
  const prototypes = Array.from({ length: spec.classes }, () => Float32Array.from({ length: size }, () => rng.normal()));
  const make = (count: number) => {
    const x = new Float32Array(count * size);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = i % spec.classes;
      y[i] = c;
      for (let j = 0; j < size; j++) x[i * size + j] = prototypes[c][j] + (spec.noise ?? 1) * rng.normal();
    }
    return { count, x, y };
  };
  return { train: make(spec.trainCount), test: make(spec.testCount) };
}

/** A ready dataset (validation split and normalisation as for every dataset). */
export function makeSynthetic(spec: SyntheticSpec, seed = 0, validationFraction = 0.1): Dataset {
  const raw = makeSyntheticRaw(spec, seed);
  return splitAndNormalise({ name: 'synthetic', source: 'generated', inputShape: spec.inputShape, classes: spec.classes, ...raw }, { seed, validationFraction });
}

/**
 * `spec`, with the synthetic dataset shaped like `space`'s input and classes where it names
 * `synthetic` without a shape of its own (the registry's default, 28x28x1, fits only the MNIST
 * spaces), so that `--dataset synthetic` serves any space. Every loader that knows the space
 * calls this.
 */
export function dataSpecFor(spec: DataSpec, space: { input: ImageShape; classes: number }): DataSpec {
  if (spec.name !== 'synthetic' || spec.synthetic) return spec;
  return { ...spec, synthetic: { inputShape: [...space.input], classes: space.classes, trainCount: 2000, testCount: 500 } };
}
