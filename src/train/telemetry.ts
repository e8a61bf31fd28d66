/**
 * Width telemetry, at chosen moments of training:
 * - per weighted layer, the statistics of its per-output-channel weight norms (outgoing kind) and,
 *   where the layer's channels have exactly one weighted reader, of the paired norms;
 * - per width group, the per-channel ingredients of every norm kind (`GroupChannelSnapshot`:
 *   outgoing norm, readers' column norm, BN scale, displacement from the first record), from which
 *   `src/variance` computes any norm kind afterwards.
 * Biases and BN offsets are not part of any norm.
 */
import type { GroupChannelSnapshot, GroupTelemetry, LayerTelemetry, TrajectoryPointData } from '../trial/result.js';
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
 * For each weighted layer, what reads its output channels, in forward order: weighted layers, and
 * `'skip'` where an identity or zero-padding shortcut carries them past a block (whatever reads
 * the block's output then reads them too, and is listed as well). The output layer has none.
 */
function readerLists(net: Network): Map<string, (Reader | 'skip')[]> {
  const readers = new Map<string, (Reader | 'skip')[]>(weightedOps(net).map((op) => [op.name, []]));
  const add = (from: WeightedOp[], reader: Reader | 'skip') => from.forEach((p) => readers.get(p.name)!.push(reader));
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
      case 'inverted': {
        add(stream, { layer: op.expand });
        readers.get(op.expand.name)!.push({ layer: op.depthwise });
        readers.get(op.depthwise.name)!.push({ layer: op.project });
        if (op.residual) {
          add(stream, 'skip');
          stream = [op.project, ...stream];
        } else {
          stream = [op.project];
        }
        break;
      }
      default:
        break;
    }
  }
  return readers;
}

/**
 * The norm of the weights with which `reader` reads each of its input channels. A depthwise conv
 * reads channel c with its own filter c alone, so that filter's norm is the channel's column.
 */
function readerColumnNorms(reader: Reader, kernel: { values: Float32Array; shape: number[] }): Float64Array {
  if (reader.layer.kind === 'conv' && reader.layer.depthwise) return outputChannelNorms(kernel.values, kernel.shape);
  return inputChannelNorms(kernel.values, kernel.shape, reader.flattenedChannels);
}

/**
 * For each weighted layer, its unique weighted reader, or null where there is none or several
 * (a residual stream feeds the next block's first conv and its shortcut; the output layer has none).
 */
export function uniqueReaders(net: Network): Map<string, Reader | null> {
  const out = new Map<string, Reader | null>();
  for (const [name, list] of readerLists(net)) out.set(name, list.length === 1 && list[0] !== 'skip' ? list[0] : null);
  return out;
}

/**
 * Every weighted layer that reads each layer's output channels, through identity and
 * zero-padding shortcuts too (a residual stream is read by every block it feeds).
 */
export function allReaders(net: Network): Map<string, Reader[]> {
  const out = new Map<string, Reader[]>();
  for (const [name, list] of readerLists(net)) out.set(name, list.filter((r): r is Reader => r !== 'skip'));
  return out;
}

/** Root-sum-square of equally long vectors. */
function rootSumSquare(vectors: ArrayLike<number>[], length: number): number[] {
  const out = new Array<number>(length).fill(0);
  for (const v of vectors) for (let c = 0; c < length; c++) out[c] += (v[c] ?? 0) ** 2;
  return out.map(Math.sqrt);
}

/** L2 norm of each output channel of `now - then` (same layout as `outputChannelNorms`). */
function displacementNorms(now: Float32Array, then: Float32Array, shape: number[]): Float64Array {
  const diff = new Float32Array(now.length);
  for (let i = 0; i < now.length; i++) diff[i] = now[i] - then[i];
  return outputChannelNorms(diff, shape);
}

/** Records telemetry points from a model into per-layer series. */
export class TelemetryRecorder {
  private readonly layers: LayerTelemetry[];
  private readonly readers: Map<string, Reader | null>;
  private readonly groupReaders: Map<string, Reader[]>;
  private readonly groups: GroupTelemetry[];
  private readonly bnLayers: Set<string>;
  /** Each kernel as it was at the first record, for the displacement norm. */
  private initialKernels?: Map<string, Float32Array>;

  constructor(private readonly net: Network) {
    this.readers = uniqueReaders(net);
    const ops = weightedOps(net);
    this.bnLayers = new Set(ops.filter((op) => op.kind === 'conv' && op.bn).map((op) => op.name));
    const every = allReaders(net);
    const groupNames = [...new Set(ops.map((op) => op.group).filter((g): g is string => g !== null))];
    this.groups = groupNames.map((group) => {
      const layers = ops.filter((op) => op.group === group);
      const first = layers[0];
      return { group, width: first.kind === 'conv' ? first.outShape[2] : first.outUnits, layers: layers.map((l) => l.name), points: [] };
    });
    // A group's readers, each once: the layers of one residual stream share theirs.
    this.groupReaders = new Map(this.groups.map((g) => {
      const seen = new Map<string, Reader>();
      for (const layer of g.layers) for (const r of every.get(layer)!) seen.set(r.layer.name, r);
      return [g.group, [...seen.values()]];
    }));
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
    if (!this.initialKernels) this.initialKernels = new Map(this.layers.map((l) => [l.layer, Float32Array.from(kernel(l.layer).values)]));
    for (const g of this.groups) g.points.push(this.groupSnapshot(g, model, kernel, epoch, step));
    for (const layer of this.layers) {
      const own = kernel(layer.layer);
      const out = outputChannelNorms(own.values, own.shape);
      layer.outgoing.push(point(epoch, step, normStats(out)));
      const reader = this.readers.get(layer.layer);
      if (reader && layer.paired) {
        const next = kernel(reader.layer.name);
        layer.paired.push(point(epoch, step, normStats(pairedNorms(out, readerColumnNorms(reader, next)))));
      }
    }
  }

  private groupSnapshot(
    g: GroupTelemetry, model: WidthModel, kernel: (name: string) => { values: Float32Array; shape: number[] }, epoch: number, step: number,
  ): GroupChannelSnapshot {
    const width = g.width;
    const outgoing = g.layers.map((l) => outputChannelNorms(kernel(l).values, kernel(l).shape));
    const displacement = g.layers.map((l) => displacementNorms(kernel(l).values, this.initialKernels!.get(l)!, kernel(l).shape));
    const readers = this.groupReaders.get(g.group)!;
    // A reader past a zero-padding shortcut has more input channels than the group: the group's
    // channel c is its input channel c (the padding is appended), so only the first `width` count.
    const reader = readers.length
      ? rootSumSquare(readers.map((r) => readerColumnNorms(r, kernel(r.layer.name))), width)
      : null;
    const bn = g.layers.filter((l) => this.bnLayers.has(l));
    const gamma = bn.length ? rootSumSquare(bn.map((l) => model.param(`${l}/gamma`).dataSync() as Float32Array), width) : null;
    return { epoch, step, outgoing: rootSumSquare(outgoing, width), reader, gamma, displacement: rootSumSquare(displacement, width) };
  }

  /** The per-layer series so far, as plain data. */
  result(): LayerTelemetry[] {
    return structuredClone(this.layers);
  }

  /** The per-group channel ingredients so far, as plain data. */
  groupResult(): GroupTelemetry[] {
    return structuredClone(this.groups);
  }
}

function point(epoch: number, step: number, s: { variance: number; mean: number; min: number; max: number }): TrajectoryPointData {
  return { epoch, step, variance: s.variance, mean: s.mean, min: s.min, max: s.max };
}
