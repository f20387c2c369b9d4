// The part of ONNX's protobuf encoding (onnx.proto3) that small feed-forward graphs use: nodes, float attributes
// and integer attributes, float32 initializers, and tensor inputs/outputs with fixed shapes. Reading and writing are
// both here so the build script writes exactly what the compiler reads.

export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 values, row-major. */
  values: Float32Array;
}

export interface OnnxValueInfo {
  name: string;
  /** Fixed dimensions; a symbolic dimension reads as -1. */
  shape: number[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  graph: OnnxGraph;
}

export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';
}

const FLOAT = 1;
const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

interface Field {
  number: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

function readFields(buffer: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buffer.length) throw new OnnxFormatError('truncated varint');
      const byte = buffer[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
      if (shift > 70n) throw new OnnxFormatError('varint too long');
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === WIRE_VARINT) fields.push({ number, wire, varint: varint() });
    else if (wire === WIRE_LEN) {
      const length = Number(varint());
      if (at + length > buffer.length) throw new OnnxFormatError('truncated field');
      fields.push({ number, wire, bytes: buffer.subarray(at, at + length) });
      at += length;
    } else if (wire === WIRE_32 || wire === WIRE_64) {
      const size = wire === WIRE_32 ? 4 : 8;
      if (at + size > buffer.length) throw new OnnxFormatError('truncated fixed field');
      fields.push({ number, wire, bytes: buffer.subarray(at, at + size) });
      at += size;
    } else throw new OnnxFormatError(`unsupported wire type ${wire}`);
  }
  return fields;
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
const signed = (value: bigint | undefined) => Number(BigInt.asIntN(64, value ?? 0n));

function packedVarints(field: Field): number[] {
  if (field.wire === WIRE_VARINT) return [signed(field.varint)];
  return readFields(withKeys(field.bytes!)).map((inner) => signed(inner.varint));
}

/** A packed repeated varint is a run of bare varints; give each a key (field 1, varint) so readFields can walk it. */
function withKeys(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const byte of packed) {
    if (start) out.push(0x08);
    out.push(byte);
    start = (byte & 0x80) === 0;
  }
  return Uint8Array.from(out);
}

function float32s(bytes: Uint8Array): Float32Array {
  // A copy with its own aligned buffer (a Node Buffer's slice() would be a view into the whole file).
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

function readTensor(bytes: Uint8Array): OnnxTensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  for (const field of readFields(bytes)) {
    if (field.number === 1) dims.push(...packedVarints(field));
    else if (field.number === 2) dataType = Number(field.varint);
    else if (field.number === 8) name = text(field.bytes);
    else if (field.number === 9) raw = field.bytes!;
    else if (field.number === 4) {
      if (field.wire === WIRE_32) floats.push(...float32s(field.bytes!));
      else floats.push(...float32s(field.bytes!));
    }
  }
  if (dataType !== FLOAT) throw new OnnxFormatError(`initializer ${name}: only float32 tensors are supported (data_type ${dataType})`);
  const values = raw ? float32s(raw) : Float32Array.from(floats);
  const count = dims.reduce((product, dim) => product * dim, 1);
  if (values.length !== count) throw new OnnxFormatError(`initializer ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
  return { name, dims, values };
}

function readAttribute(bytes: Uint8Array): OnnxAttribute {
  const attribute: OnnxAttribute = { name: '' };
  for (const field of readFields(bytes)) {
    if (field.number === 1) attribute.name = text(field.bytes);
    else if (field.number === 2) attribute.f = new DataView(field.bytes!.buffer, field.bytes!.byteOffset, 4).getFloat32(0, true);
    else if (field.number === 3) attribute.i = signed(field.varint);
  }
  return attribute;
}

function readNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', inputs: [], outputs: [], attributes: [] };
  for (const field of readFields(bytes)) {
    if (field.number === 1) node.inputs.push(text(field.bytes));
    else if (field.number === 2) node.outputs.push(text(field.bytes));
    else if (field.number === 4) node.opType = text(field.bytes);
    else if (field.number === 5) node.attributes.push(readAttribute(field.bytes!));
  }
  return node;
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  let name = '';
  const shape: number[] = [];
  for (const field of readFields(bytes)) {
    if (field.number === 1) name = text(field.bytes);
    else if (field.number === 2) {
      const tensorType = readFields(field.bytes!).find((inner) => inner.number === 1);
      const shapeField = tensorType && readFields(tensorType.bytes!).find((inner) => inner.number === 2);
      for (const dim of shapeField ? readFields(shapeField.bytes!).filter((inner) => inner.number === 1) : []) {
        const value = readFields(dim.bytes!).find((inner) => inner.number === 1);
        shape.push(value ? signed(value.varint) : -1);
      }
    }
  }
  return { name, shape };
}

export function readOnnx(file: Uint8Array): OnnxModel {
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const model: OnnxModel = { irVersion: 0, opsetVersion: 0, producerName: '', graph: { nodes: [], initializers: [], inputs: [], outputs: [] } };
  let sawGraph = false;
  for (const field of readFields(bytes)) {
    if (field.number === 1) model.irVersion = signed(field.varint);
    else if (field.number === 2) model.producerName = text(field.bytes);
    else if (field.number === 8) {
      const opset = readFields(field.bytes!);
      const domain = text(opset.find((inner) => inner.number === 1)?.bytes);
      if (domain === '' || domain === 'ai.onnx') model.opsetVersion = signed(opset.find((inner) => inner.number === 2)?.varint);
    } else if (field.number === 7) {
      sawGraph = true;
      for (const inner of readFields(field.bytes!)) {
        if (inner.number === 1) model.graph.nodes.push(readNode(inner.bytes!));
        else if (inner.number === 5) model.graph.initializers.push(readTensor(inner.bytes!));
        else if (inner.number === 11) model.graph.inputs.push(readValueInfo(inner.bytes!));
        else if (inner.number === 12) model.graph.outputs.push(readValueInfo(inner.bytes!));
      }
    }
  }
  if (!sawGraph) throw new OnnxFormatError('not an ONNX model: no graph');
  // Initializers may also be listed as graph inputs (older exporters); those are not model inputs.
  const initialized = new Set(model.graph.initializers.map((tensor) => tensor.name));
  model.graph.inputs = model.graph.inputs.filter((input) => !initialized.has(input.name));
  return model;
}

class Writer {
  private readonly chunks: number[] = [];

  private varint(value: bigint | number): void {
    let rest = BigInt.asUintN(64, BigInt(value));
    do {
      const byte = Number(rest & 0x7fn);
      rest >>= 7n;
      this.chunks.push(rest > 0n ? byte | 0x80 : byte);
    } while (rest > 0n);
  }

  int(number: number, value: number): this {
    this.varint((number << 3) | WIRE_VARINT);
    this.varint(value);
    return this;
  }

  bytes(number: number, value: Uint8Array): this {
    this.varint((number << 3) | WIRE_LEN);
    this.varint(value.length);
    for (const byte of value) this.chunks.push(byte);
    return this;
  }

  string(number: number, value: string): this {
    return this.bytes(number, new TextEncoder().encode(value));
  }

  float(number: number, value: number): this {
    this.varint((number << 3) | WIRE_32);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    for (const byte of new Uint8Array(view.buffer)) this.chunks.push(byte);
    return this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function writeValueInfo(info: OnnxValueInfo): Uint8Array {
  const shape = new Writer();
  for (const dim of info.shape) shape.bytes(1, new Writer().int(1, dim).done());
  const tensorType = new Writer().int(1, FLOAT).bytes(2, shape.done()).done();
  return new Writer().string(1, info.name).bytes(2, new Writer().bytes(1, tensorType).done()).done();
}

/** Deterministic bytes: the same model gives the same file, so its sha256 is the model's identity. */
export function writeOnnx(model: OnnxModel): Uint8Array {
  const graph = new Writer();
  for (const node of model.graph.nodes) {
    const written = new Writer();
    for (const input of node.inputs) written.string(1, input);
    for (const output of node.outputs) written.string(2, output);
    written.string(4, node.opType);
    for (const attribute of node.attributes) {
      const encoded = new Writer().string(1, attribute.name);
      if (attribute.f !== undefined) encoded.float(2, attribute.f).int(20, 1);
      else encoded.int(3, attribute.i ?? 0).int(20, 2);
      written.bytes(5, encoded.done());
    }
    graph.bytes(1, written.done());
  }
  graph.string(2, 'main');
  for (const tensor of model.graph.initializers) {
    const written = new Writer();
    for (const dim of tensor.dims) written.int(1, dim);
    written.int(2, FLOAT).string(8, tensor.name);
    const raw = new Uint8Array(tensor.values.length * 4);
    const view = new DataView(raw.buffer);
    tensor.values.forEach((value, index) => view.setFloat32(index * 4, value, true));
    written.bytes(9, raw);
    graph.bytes(5, written.done());
  }
  for (const input of model.graph.inputs) graph.bytes(11, writeValueInfo(input));
  for (const output of model.graph.outputs) graph.bytes(12, writeValueInfo(output));
  return new Writer()
    .int(1, model.irVersion)
    .string(2, model.producerName)
    .bytes(7, graph.done())
    .bytes(8, new Writer().string(1, '').int(2, model.opsetVersion).done())
    .done();
}
