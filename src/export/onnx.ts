/**
 * ONNX export of a trained `WidthModel`, built from the resolved network (the same description the
 * builder used) and the model's weights, with onnx-proto's schema. The graph takes `input`,
 * NCHW float32 with a dynamic batch, and returns `logits`. Kernels go from tfjs layout
 * ([kh, kw, cin, cout], [in, out]) to ONNX's ([cout, cin, kh, kw]; Gemm keeps [in, out]); a
 * depthwise conv is a `Conv` with `group` = its channels.
 */
import onnxProto from 'onnx-proto';
import type { ConvOp, NetOp } from '../space/network.js';
import { BN_EPSILON, type WidthModel } from '../train/model.js';
import { DEFAULT_OPSET } from './opset.js';

const { onnx } = onnxProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

export { DEFAULT_OPSET };

/** Accumulates nodes and initializers with fresh names. */
class GraphBuilder {
  nodes: Node[] = [];
  initializers: Tensor[] = [];
  private counter = 0;

  name(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  constant(name: string, dims: number[], values: ArrayLike<number>, type: 'float' | 'int64' = 'float'): string {
    const t = onnx.TensorProto.create({ name, dims });
    if (type === 'float') {
      t.dataType = onnx.TensorProto.DataType.FLOAT;
      t.rawData = new Uint8Array(Float32Array.from(values).buffer);
    } else {
      t.dataType = onnx.TensorProto.DataType.INT64;
      t.rawData = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    }
    this.initializers.push(t);
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, outName?: string): string {
    const output = outName ?? this.name(opType.toLowerCase());
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });
      if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
      return Number.isInteger(v)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
        : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });
    });
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], name: output, attribute }));
    return output;
  }
}

/** tfjs [kh, kw, cin, cout] to ONNX [cout, cin, kh, kw]. */
function convKernel(values: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
    out[((o * cin + c) * kh + i) * kw + j] = values[((i * kw + j) * cin + c) * cout + o];
  }
  return out;
}

/** TensorFlow's 'same' padding (extra row/column at the end), as ONNX pads [top, left, bottom, right]. */
function tfPads(op: ConvOp): number[] {
  if (op.padding === 'valid') return [0, 0, 0, 0];
  const total = (inSize: number, outSize: number) => Math.max((outSize - 1) * op.stride + op.kernel - inSize, 0);
  const th = total(op.inShape[0], op.outShape[0]);
  const tw = total(op.inShape[1], op.outShape[1]);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

/** Builds the ONNX model of `model`, weights read from its variables (masked weights are zeros). */
export function buildOnnxModel(model: WidthModel, opset = DEFAULT_OPSET): Uint8Array {
  const g = new GraphBuilder();
  const weights = model.getWeights();
  const w = (name: string) => weights[name];
  const net = model.net;

  const conv = (op: ConvOp, x: string): string => {
    const k = w(`${op.name}/kernel`);
    const inputs = [x, g.constant(`${op.name}.weight`, [k.shape[3], k.shape[2], k.shape[0], k.shape[1]], convKernel(k.values as Float32Array, k.shape))];
    if (op.bias) inputs.push(g.constant(`${op.name}.bias`, [k.shape[3]], w(`${op.name}/bias`).values));
    // A depthwise kernel ([k, k, 1, c]) becomes ONNX's [c, 1, k, k] with one group per channel.
    const group = op.depthwise ? op.outShape[2] : 1;
    let y = g.node('Conv', inputs, { kernel_shape: [op.kernel, op.kernel], strides: [op.stride, op.stride], pads: tfPads(op), dilations: [1, 1], group });
    if (op.bn) {
      const c = k.shape[3];
      y = g.node('BatchNormalization', [
        y,
        g.constant(`${op.name}.bn.scale`, [c], w(`${op.name}/gamma`).values),
        g.constant(`${op.name}.bn.bias`, [c], w(`${op.name}/beta`).values),
        g.constant(`${op.name}.bn.mean`, [c], w(`${op.name}/moving_mean`).values),
        g.constant(`${op.name}.bn.var`, [c], w(`${op.name}/moving_variance`).values),
      ], { epsilon: BN_EPSILON });
    }
    return op.activation === 'relu' ? g.node('Relu', [y]) : y;
  };

  const apply = (op: NetOp, x: string): string => {
    switch (op.kind) {
      case 'conv':
        return conv(op, x);
      case 'dense': {
        const k = w(`${op.name}/kernel`);
        const inputs = [x, g.constant(`${op.name}.weight`, k.shape, k.values)];
        if (op.bias) inputs.push(g.constant(`${op.name}.bias`, [op.outUnits], w(`${op.name}/bias`).values));
        const y = g.node('Gemm', inputs, { transA: 0, transB: 0 });
        return op.activation === 'relu' ? g.node('Relu', [y]) : y;
      }
      case 'maxpool':
        return g.node('MaxPool', [x], { kernel_shape: [op.size, op.size], strides: [op.stride, op.stride], pads: [0, 0, 0, 0] });
      case 'gap':
        return g.node('Flatten', [g.node('GlobalAveragePool', [x])], { axis: 1 });
      case 'flatten':
        // tfjs flattens NHWC; go back to that order first so dense weights line up.
        return g.node('Flatten', [g.node('Transpose', [x], { perm: [0, 2, 3, 1] })], { axis: 1 });
      case 'block': {
        const main = conv(op.conv2, conv(op.conv1, x));
        let skip = x;
        const sc = op.shortcut;
        if (sc.kind === 'projection') skip = conv(sc.conv, x);
        else if (sc.kind === 'pad') {
          if (sc.stride > 1) {
            const big = 2 ** 31 - 1;
            skip = g.node('Slice', [skip, g.constant(g.name('starts'), [2], [0, 0], 'int64'), g.constant(g.name('ends'), [2], [big, big], 'int64'),
              g.constant(g.name('axes'), [2], [2, 3], 'int64'), g.constant(g.name('steps'), [2], [sc.stride, sc.stride], 'int64')]);
          }
          if (sc.to > sc.from) {
            skip = g.node('Pad', [skip, g.constant(g.name('pads'), [8], [0, 0, 0, 0, 0, sc.to - sc.from, 0, 0], 'int64')], { mode: 'constant' });
          } else if (sc.to < sc.from) {
            skip = g.node('Slice', [skip, g.constant(g.name('starts'), [1], [0], 'int64'), g.constant(g.name('ends'), [1], [sc.to], 'int64'), g.constant(g.name('axes'), [1], [1], 'int64')]);
          }
        }
        return g.node('Relu', [g.node('Add', [main, skip])]);
      }
      case 'inverted': {
        const y = conv(op.project, conv(op.depthwise, conv(op.expand, x)));
        return op.residual ? g.node('Add', [y, x]) : y;
      }
    }
  };

  let x = 'input';
  net.ops.forEach((op, i) => {
    x = apply(op, x);
    if (i === net.ops.length - 1) {
      // Name the last output `logits`.
      g.nodes[g.nodes.length - 1].output = ['logits'];
      g.nodes[g.nodes.length - 1].name = 'logits';
    }
  });
  const [h, wdt, c] = net.input;
  const valueInfo = (name: string, dims: (number | string)[]) => onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => (typeof d === 'string' ? onnx.TensorShapeProto.Dimension.create({ dimParam: d }) : onnx.TensorShapeProto.Dimension.create({ dimValue: d }))) }),
      }),
    }),
  });
  const graph = onnx.GraphProto.create({
    name: net.space,
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo('input', ['batch', c, h, wdt])],
    output: [valueInfo('logits', ['batch', net.classes])],
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'widthwise',
    producerVersion: '0.1.0',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opset })],
    graph,
  });
  return onnx.ModelProto.encode(modelProto).finish();
}
