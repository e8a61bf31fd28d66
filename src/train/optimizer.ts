/**
 * Optimizers written against named variables so the trainer can mask gradients, decay only
 * kernels, and change the learning rate every step.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { OptimizerName, OptimizerSpec } from '../core/recipe.js';
import { TrainError } from '../core/errors.js';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  decay: boolean;
}

/**
 * Everything an optimizer carries from one step to the next, as plain data: restoring it into a
 * fresh optimizer over the same variables continues the very same sequence of updates.
 */
export interface OptimizerState {
  name: OptimizerName;
  /** Updates applied so far (Adam's bias correction depends on it). */
  step: number;
  /** SGD momentum buffers, or Adam's first moments, by parameter name; empty for SGD without momentum. */
  first: Record<string, Float32Array>;
  /** Adam's second moments by parameter name; empty for SGD. */
  second: Record<string, Float32Array>;
}

/** One optimizer state over a fixed list of variables. */
export class Optimizer {
  private readonly slots1: tf.Variable[];
  private readonly slots2: tf.Variable[];
  private steps = 0;

  constructor(private readonly spec: OptimizerSpec, private readonly vars: NamedVariable[]) {
    const slots = () => tf.tidy(() => vars.map((v) => tf.variable(tf.zerosLike(v.variable), false)));
    this.slots1 = spec.name === 'sgd' && (spec.momentum ?? 0.9) === 0 ? [] : slots();
    this.slots2 = spec.name === 'adam' ? slots() : [];
  }

  /** Applies one update with gradients `grads` (keyed by variable name) at learning rate `lr`. */
  apply(grads: Record<string, tf.Tensor>, lr: number): void {
    this.steps++;
    const decay = this.spec.weightDecay ?? 0;
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        let g = grads[v.name];
        if (!g) return;
        if (decay > 0 && v.decay) g = g.add(v.variable.mul(decay));
        if (this.spec.name === 'sgd') {
          const momentum = this.spec.momentum ?? 0.9;
          const buf = this.slots1[i];
          const next = momentum > 0 ? buf.mul(momentum).add(g) : g;
          if (momentum > 0) buf.assign(next);
          v.variable.assign(v.variable.sub(next.mul(lr)));
        } else {
          const b1 = this.spec.beta1 ?? 0.9;
          const b2 = this.spec.beta2 ?? 0.999;
          const eps = this.spec.epsilon ?? 1e-8;
          const m = this.slots1[i].mul(b1).add(g.mul(1 - b1));
          const s = this.slots2[i].mul(b2).add(g.square().mul(1 - b2));
          this.slots1[i].assign(m);
          this.slots2[i].assign(s);
          const mHat = m.div(1 - b1 ** this.steps);
          const sHat = s.div(1 - b2 ** this.steps);
          v.variable.assign(v.variable.sub(mHat.div(sHat.sqrt().add(eps)).mul(lr)));
        }
      });
    });
  }

  /** A copy of the slots and the step count. */
  state(): OptimizerState {
    const read = (slots: tf.Variable[]) => Object.fromEntries(slots.map((s, i) => [this.vars[i].name, Float32Array.from(s.dataSync() as Float32Array)]));
    return { name: this.spec.name, step: this.steps, first: read(this.slots1), second: read(this.slots2) };
  }

  /**
   * Loads a state taken by `state()` from an optimizer of the same kind over the same parameters.
   * Throws `TrainError` naming what differs (kind, a missing or extra slot, a size).
   */
  restore(state: OptimizerState): void {
    if (state.name !== this.spec.name) throw new TrainError(`the optimizer state is ${state.name}'s, the recipe asks for ${this.spec.name}`);
    if (!(Number.isInteger(state.step) && state.step >= 0)) throw new TrainError(`optimizer step count ${state.step}: expected a non-negative integer`);
    const load = (slots: tf.Variable[], saved: Record<string, Float32Array>, what: string) => {
      const expected = slots.map((_, i) => this.vars[i].name);
      const extra = Object.keys(saved).filter((n) => !expected.includes(n));
      if (extra.length) throw new TrainError(`${what}: unexpected slot ${extra[0]} (${extra.length} in all); the state is not this network's or this recipe's`);
      slots.forEach((slot, i) => {
        const values = saved[this.vars[i].name];
        if (!values) throw new TrainError(`${what}: no slot for ${this.vars[i].name}; the state is not this network's or this recipe's`);
        if (values.length !== slot.size) throw new TrainError(`${what} of ${this.vars[i].name}: ${values.length} values, expected ${slot.size}`);
        tf.tidy(() => slot.assign(tf.tensor(values, slot.shape)));
      });
    };
    load(this.slots1, state.first, this.spec.name === 'adam' ? 'Adam first moments' : 'SGD momentum');
    load(this.slots2, state.second, 'Adam second moments');
    this.steps = state.step;
  }

  dispose(): void {
    for (const s of [...this.slots1, ...this.slots2]) s.dispose();
  }
}
