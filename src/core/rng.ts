import seedrandom from 'seedrandom';

/** A seeded source of uniform numbers in [0, 1). All randomness in widthwise flows from one. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

/** Builds an `Rng` from any string or integer seed; the same seed gives the same stream. */
export function createRng(seed: number | string): Rng {
  const prng = seedrandom(String(seed));
  return wrap(() => prng.quick());
}

/** The whole state of a seeded stream (seedrandom's ARC4 state), plain data for a checkpoint. */
export interface RngState {
  i: number;
  j: number;
  S: number[];
}

/** An `Rng` whose position can be saved and restored exactly. */
export interface StatefulRng extends Rng {
  /** A copy of the stream's position: restoring it continues with the very next number. */
  state(): RngState;
}

/**
 * The stream `createRng(seed)` gives (number for number), or, with `state`, that stream continued
 * from a saved position.
 */
export function createStatefulRng(seed: string, state?: RngState): StatefulRng {
  // seedrandom's typings omit `state()`; it is there whenever the `state` option is given.
  const prng = (state ? seedrandom('', { state: state as never }) : seedrandom(seed, { state: true })) as seedrandom.PRNG & { state(): RngState };
  const base = wrap(() => prng.quick());
  return { ...base, state: () => prng.state() };
}

function wrap(next: () => number): Rng {
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    normal: () => {
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}

/** Fisher-Yates shuffle of `items` in place, driven by `rng`. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}

/** Derives a child seed from a parent seed and a label (e.g. trial number), stable across runs. */
export function deriveSeed(parent: number, label: string | number): number {
  const prng = seedrandom(`${parent}:${label}`);
  return Math.floor(prng.quick() * 2 ** 31);
}
