/**
 * Width telemetry: at chosen moments of training, the statistics of each weighted layer's
 * per-output-channel weight norms (outgoing kind) and, where the layer's channels have exactly one
 * weighted reader, of the paired norms (outgoing norm times the reader's incoming-column norm).
 * BN parameters and biases are not part of any norm.
 */
import type { LayerTelemetry, TrajectoryPointData } from '../core/types.js';
import type { Network, WeightedOp } from '../space/network.js';
import { weightedOps } from '../space/network.js';
import { inputChannelNorms, normStats, outputChannelNorms, pairedNorms } from '../variance/norms.js';
import type { WidthModel } from './model.js';

/** The unique weighted layer reading a layer's output channels, and how its input is laid out. */
export interface Reader {
  layer: WeightedOp;
  /** Channels of the map that was flattened before `layer` (its input rows interleave them). */
  flattenedChannels?: number;
}

/**
 * For each weighted layer, its unique weighted reader, or null where there is none or several
 * (a residual stream feeds the next block's first conv and its shortcut; the output layer has none).
 */
export function uniqueReaders(net: Network): Map<string, Reader | null> {
  const readers = new Map<string, (Reader | 'skip')[]>();
  const add = (from: WeightedOp[], reader: Reader | 'skip') => from.forEach((p) => readers.get(p.name)!.push(reader));
  for (const op of weightedOps(net)) readers.set(op.name, []);
  let stream: WeightedOp[] = [];
  let flattenedChannels: number | undefined;
  for (const op of net.ops) {
    switch (op.kind) {
      case 'conv':
      case 'dense':
        add(stream, { layer: op, flattenedChannels });
        stream = [op];
        flattenedChannels = undefined;
        break;
      case 'flatten':
        if (op.inShape[0] * op.inShape[1] > 1) flattenedChannels = op.inShape[2];
        break;
      case 'block': {
        add(stream, { layer: op.conv1 });
        readers.get(op.conv1.name)!.push({ layer: op.conv2 });
        if (op.shortcut.kind === 'projection') {
          add(stream, { layer: op.shortcut.conv });
          stream = [op.conv2, op.shortcut.conv];
        } else {
          add(stream, 'skip');
          stream = [op.conv2, ...stream];
        }
        break;
      }
      default:
        break;
    }
  }
  const out = new Map<string, Reader | null>();
  for (const [name, list] of readers) out.set(name, list.length === 1 && list[0] !== 'skip' ? list[0] : null);
  return out;
}

/** Records telemetry points from a model into per-layer series. */
export class TelemetryRecorder {
  private readonly layers: LayerTelemetry[];
  private readonly readers: Map<string, Reader | null>;

  constructor(private readonly net: Network) {
    this.readers = uniqueReaders(net);
    this.layers = weightedOps(net).map((op) => ({
      layer: op.name,
      group: op.group,
      width: op.kind === 'conv' ? op.outShape[2] : op.outUnits,
      outgoing: [],
      ...(this.readers.get(op.name) ? { paired: [] } : {}),
    }));
  }

  /** Reads every kernel once and appends a point per layer at (epoch, step). */
  record(model: WidthModel, epoch: number, step: number): void {
    const kernels = new Map<string, { values: Float32Array; shape: number[] }>();
    const kernel = (name: string) => {
      let k = kernels.get(name);
      if (!k) {
        const v = model.param(`${name}/kernel`);
        k = { values: v.dataSync() as Float32Array, shape: v.shape };
        kernels.set(name, k);
      }
      return k;
    };
    for (const layer of this.layers) {
      const own = kernel(layer.layer);
      const out = outputChannelNorms(own.values, own.shape);
      layer.outgoing.push(point(epoch, step, normStats(out)));
      const reader = this.readers.get(layer.layer);
      if (reader && layer.paired) {
        const next = kernel(reader.layer.name);
        layer.paired.push(point(epoch, step, normStats(pairedNorms(out, inputChannelNorms(next.values, next.shape, reader.flattenedChannels)))));
      }
    }
  }

  /** The series so far, as plain data. */
  result(): LayerTelemetry[] {
    return structuredClone(this.layers);
  }
}

function point(epoch: number, step: number, s: { variance: number; mean: number; min: number; max: number }): TrajectoryPointData {
  return { epoch, step, variance: s.variance, mean: s.mean, min: s.min, max: s.max };
}
