// A feed-forward ONNX graph read as a list of dense layers, each with one activation: the shape the circuit compiler
// and the fixed-point evaluator take. Anything else in the graph is refused by name, never skipped.
import { readOnnx, writeOnnx, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto';

export type Activation = 'none' | 'relu' | 'hardsigmoid';

export interface DenseLayer {
  /** weights[out][in] */
  weights: number[][];
  bias: number[];
  activation: Activation;
}

export interface Mlp {
  inputName: string;
  outputName: string;
  inputSize: number;
  layers: DenseLayer[];
}

export class UnsupportedGraphError extends Error {
  override readonly name = 'UnsupportedGraphError';
}

/** ONNX HardSigmoid with these parameters is what the circuit computes; Sigmoid is approximated by it. */
export const HARD_SIGMOID = { alpha: 0.25, beta: 0.5 } as const;

const attribute = (node: OnnxNode, name: string) => node.attributes.find((candidate) => candidate.name === name);

function matrix(tensor: OnnxTensor, transposed: boolean): number[][] {
  if (tensor.dims.length !== 2) throw new UnsupportedGraphError(`${tensor.name}: weights must be a matrix, got [${tensor.dims.join(', ')}]`);
  const [rows, columns] = tensor.dims as [number, number];
  const at = (row: number, column: number) => tensor.values[row * columns + column]!;
  // Result is [out][in]: Gemm with transB=1 stores [out][in]; MatMul and Gemm with transB=0 store [in][out].
  if (transposed) return Array.from({ length: rows }, (_, row) => Array.from({ length: columns }, (_, column) => at(row, column)));
  return Array.from({ length: columns }, (_, column) => Array.from({ length: rows }, (_, row) => at(row, column)));
}

function vector(tensor: OnnxTensor, size: number): number[] {
  if (tensor.values.length !== size) throw new UnsupportedGraphError(`${tensor.name}: bias of ${tensor.values.length} values for ${size} outputs`);
  return Array.from(tensor.values);
}

export function mlpFromOnnx(model: OnnxModel): Mlp {
  const { graph } = model;
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) throw new UnsupportedGraphError('the graph must have exactly one input and one output');
  const initializers = new Map(graph.initializers.map((tensor) => [tensor.name, tensor]));
  const input = graph.inputs[0]!;
  const inputSize = input.shape[input.shape.length - 1]!;
  if (!(inputSize > 0)) throw new UnsupportedGraphError(`input ${input.name} needs a fixed last dimension`);

  const layers: DenseLayer[] = [];
  let current = input.name;
  let width = inputSize;
  const consumerOf = (name: string) => {
    const consumers = graph.nodes.filter((node) => node.inputs.includes(name));
    if (consumers.length > 1) throw new UnsupportedGraphError(`${name} feeds ${consumers.length} nodes: only a chain is supported`);
    return consumers[0];
  };
  const constant = (name: string | undefined, node: OnnxNode) => {
    const tensor = name === undefined ? undefined : initializers.get(name);
    if (!tensor) throw new UnsupportedGraphError(`${node.opType}: ${name} must be an initializer (weights are constants)`);
    return tensor;
  };
  const setActivation = (activation: Activation, node: OnnxNode) => {
    const last = layers[layers.length - 1];
    if (!last || last.activation !== 'none') throw new UnsupportedGraphError(`${node.opType} must follow a Gemm/MatMul layer directly`);
    last.activation = activation;
  };

  for (let node = consumerOf(current); node; node = consumerOf(current)) {
    if (node.inputs[0] !== current) throw new UnsupportedGraphError(`${node.opType}: the running value must be its first input`);
    switch (node.opType) {
      case 'Gemm': {
        const alpha = attribute(node, 'alpha')?.f ?? 1;
        const beta = attribute(node, 'beta')?.f ?? 1;
        if (alpha !== 1 || beta !== 1 || (attribute(node, 'transA')?.i ?? 0) !== 0) throw new UnsupportedGraphError('Gemm: only alpha=1, beta=1, transA=0');
        const weights = matrix(constant(node.inputs[1], node), (attribute(node, 'transB')?.i ?? 0) === 1);
        if (weights[0]?.length !== width) throw new UnsupportedGraphError(`Gemm: weights take ${weights[0]?.length} inputs, the value has ${width}`);
        const bias = node.inputs[2] ? vector(constant(node.inputs[2], node), weights.length) : new Array<number>(weights.length).fill(0);
        layers.push({ weights, bias, activation: 'none' });
        width = weights.length;
        break;
      }
      case 'MatMul': {
        const weights = matrix(constant(node.inputs[1], node), false);
        if (weights[0]?.length !== width) throw new UnsupportedGraphError(`MatMul: weights take ${weights[0]?.length} inputs, the value has ${width}`);
        layers.push({ weights, bias: new Array<number>(weights.length).fill(0), activation: 'none' });
        width = weights.length;
        break;
      }
      case 'Add': {
        const last = layers[layers.length - 1];
        if (!last || last.activation !== 'none') throw new UnsupportedGraphError('Add must follow a MatMul/Gemm directly (a bias)');
        const bias = vector(constant(node.inputs[1], node), width);
        last.bias = last.bias.map((value, index) => value + bias[index]!);
        break;
      }
      case 'Relu':
        setActivation('relu', node);
        break;
      case 'Sigmoid':
        setActivation('hardsigmoid', node);
        break;
      case 'HardSigmoid': {
        const alpha = attribute(node, 'alpha')?.f ?? 0.2;
        const beta = attribute(node, 'beta')?.f ?? 0.5;
        if (alpha !== HARD_SIGMOID.alpha || beta !== HARD_SIGMOID.beta) throw new UnsupportedGraphError(`HardSigmoid: only alpha=${HARD_SIGMOID.alpha}, beta=${HARD_SIGMOID.beta}`);
        setActivation('hardsigmoid', node);
        break;
      }
      default:
        throw new UnsupportedGraphError(`operator ${node.opType} is not supported (Gemm, MatMul, Add, Relu, Sigmoid, HardSigmoid)`);
    }
    current = node.outputs[0]!;
  }
  if (current !== graph.outputs[0]!.name) throw new UnsupportedGraphError(`the chain ends at ${current}, not at the graph output ${graph.outputs[0]!.name}`);
  if (layers.length === 0) throw new UnsupportedGraphError('the graph has no layer');
  return { inputName: input.name, outputName: current, inputSize, layers };
}

export function readMlp(onnxBytes: Uint8Array): Mlp {
  return mlpFromOnnx(readOnnx(onnxBytes));
}

/** Gemm (transB=1) per layer, then Relu or HardSigmoid: the graph the build script and the benchmark write. */
export function mlpToOnnx(mlp: Mlp, producerName: string): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let current = mlp.inputName;
  mlp.layers.forEach((layer, index) => {
    const last = index === mlp.layers.length - 1;
    const gemmOut = last && layer.activation === 'none' ? mlp.outputName : `dense${index}`;
    initializers.push({ name: `W${index}`, dims: [layer.weights.length, layer.weights[0]!.length], values: Float32Array.from(layer.weights.flat()) });
    initializers.push({ name: `b${index}`, dims: [layer.bias.length], values: Float32Array.from(layer.bias) });
    nodes.push({ opType: 'Gemm', inputs: [current, `W${index}`, `b${index}`], outputs: [gemmOut], attributes: [{ name: 'transB', i: 1 }] });
    current = gemmOut;
    if (layer.activation !== 'none') {
      const out = last ? mlp.outputName : `act${index}`;
      nodes.push(
        layer.activation === 'relu'
          ? { opType: 'Relu', inputs: [current], outputs: [out], attributes: [] }
          : { opType: 'HardSigmoid', inputs: [current], outputs: [out], attributes: [{ name: 'alpha', f: HARD_SIGMOID.alpha }, { name: 'beta', f: HARD_SIGMOID.beta }] },
      );
      current = out;
    }
  });
  const outputSize = mlp.layers[mlp.layers.length - 1]!.weights.length;
  return writeOnnx({
    irVersion: 8,
    opsetVersion: 13,
    producerName,
    graph: { nodes, initializers, inputs: [{ name: mlp.inputName, shape: [1, mlp.inputSize] }], outputs: [{ name: mlp.outputName, shape: [1, outputSize] }] },
  });
}

export function parameterCount(mlp: Mlp): number {
  return mlp.layers.reduce((sum, layer) => sum + layer.weights.length * (layer.weights[0]!.length + 1), 0);
}
