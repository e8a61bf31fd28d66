/**
 * Optimizers written against named variables so the trainer can mask gradients, decay only
 * kernels, and change the learning rate every step.
 */
import * as tf from '@tensorflow/tfjs';

export type { OptimizerName, OptimizerSpec } from '../core/types.js';
import type { OptimizerSpec } from '../core/types.js';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  decay: boolean;
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

  dispose(): void {
    for (const s of [...this.slots1, ...this.slots2]) s.dispose();
  }
}
