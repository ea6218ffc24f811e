/**
 * IR -> ONNX bytes. The inverse of reader.ts: `decodeModel(encodeModel(m))` deep-equals `m`.
 * Tensors keep the storage they have in the IR; use externalData.ts to inline external tensors or to move large
 * ones into a data file of the new model's own before encoding.
 */

import type {
  Attribute,
  FunctionDef,
  Graph,
  Model,
  Node,
  OpsetImport,
  SparseTensor,
  StringEntry,
  Tensor,
  TrainingInfo,
  TypeInfo,
  ValueInfo,
} from './ir.js';
import { notedPresence } from './presence.js';
import { fromBigInt, fromNumber, onnx } from './proto.js';

export function encodeModel(model: Model): Uint8Array {
  return onnx.ModelProto.encode(modelToProto(model)).finish();
}

export function encodeTensor(tensor: Tensor): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(tensor)).finish();
}

function entries(list: StringEntry[] | undefined): onnx.IStringStringEntryProto[] | undefined {
  return list?.length ? list.map((e) => ({ key: e.key, value: e.value })) : undefined;
}

function opsets(list: OpsetImport[]): onnx.IOperatorSetIdProto[] {
  return list.map((o) => {
    const p: onnx.IOperatorSetIdProto = { version: fromNumber(o.version) };
    if (o.domain || notedPresence(o, 'domain') !== false) p.domain = o.domain;
    return p;
  });
}

/**
 * Sets `key` on `target` when the value is a non-empty string, as the reader omits empty ones, or when the file
 * `owner` was read from stored it as '' (presence.ts).
 */
function setString<T extends object>(target: T, key: keyof T, value: string | undefined, owner?: object): void {
  if (value || (owner && notedPresence(owner, key as string))) (target as Record<keyof T, unknown>)[key] = value ?? '';
}

export function modelToProto(m: Model): onnx.IModelProto {
  const p: onnx.IModelProto = {
    irVersion: fromNumber(m.irVersion),
    opsetImport: opsets(m.opsetImports),
    graph: graphToProto(m.graph),
  };
  setString(p, 'producerName', m.producerName, m);
  setString(p, 'producerVersion', m.producerVersion, m);
  setString(p, 'domain', m.domain, m);
  setString(p, 'docString', m.docString, m);
  if (m.modelVersion !== 0n || notedPresence(m, 'modelVersion')) p.modelVersion = fromBigInt(m.modelVersion);
  if (m.metadataProps.length) p.metadataProps = entries(m.metadataProps);
  if (m.functions.length) p.functions = m.functions.map(functionToProto);
  if (m.trainingInfo.length) p.trainingInfo = m.trainingInfo.map(trainingToProto);
  if (m.configuration?.length) p.configuration = m.configuration;
  return p;
}

function trainingToProto(t: TrainingInfo): onnx.ITrainingInfoProto {
  const p: onnx.ITrainingInfoProto = {
    initializationBinding: entries(t.initializationBinding),
    updateBinding: entries(t.updateBinding),
  };
  if (t.initialization) p.initialization = graphToProto(t.initialization);
  if (t.algorithm) p.algorithm = graphToProto(t.algorithm);
  return p;
}

function graphToProto(g: Graph): onnx.IGraphProto {
  const p: onnx.IGraphProto = {
    node: g.nodes.map(nodeToProto),
    input: g.inputs.map(valueInfoToProto),
    output: g.outputs.map(valueInfoToProto),
    valueInfo: g.valueInfo.map(valueInfoToProto),
    initializer: g.initializers.map(tensorToProto),
    sparseInitializer: g.sparseInitializers.map(sparseToProto),
    quantizationAnnotation: g.quantizationAnnotation.map((a) => ({
      tensorName: a.tensorName,
      quantParameterTensorNames: entries(a.quantParameterTensorNames),
    })),
    metadataProps: entries(g.metadataProps),
  };
  setString(p, 'name', g.name, g);
  setString(p, 'docString', g.docString, g);
  return p;
}

function functionToProto(f: FunctionDef): onnx.IFunctionProto {
  const p: onnx.IFunctionProto = {
    input: f.inputs,
    output: f.outputs,
    attribute: f.attributes,
    attributeProto: f.attributeDefaults.map(attributeToProto),
    node: f.nodes.map(nodeToProto),
    opsetImport: opsets(f.opsetImports),
    valueInfo: f.valueInfo.map(valueInfoToProto),
    metadataProps: entries(f.metadataProps),
  };
  setString(p, 'name', f.name, f);
  setString(p, 'domain', f.domain, f);
  setString(p, 'overload', f.overload, f);
  setString(p, 'docString', f.docString, f);
  return p;
}

function nodeToProto(n: Node): onnx.INodeProto {
  const p: onnx.INodeProto = {
    input: n.inputs,
    output: n.outputs,
    attribute: n.attributes.map(attributeToProto),
    metadataProps: entries(n.metadataProps),
  };
  setString(p, 'name', n.name, n);
  setString(p, 'opType', n.opType, n);
  setString(p, 'domain', n.domain, n);
  setString(p, 'overload', n.overload, n);
  setString(p, 'docString', n.docString, n);
  if (n.deviceConfigurations?.length) p.deviceConfigurations = n.deviceConfigurations;
  return p;
}

function valueInfoToProto(v: ValueInfo): onnx.IValueInfoProto {
  const p: onnx.IValueInfoProto = { metadataProps: entries(v.metadataProps) };
  setString(p, 'name', v.name, v);
  if (v.type) p.type = typeToProto(v.type);
  setString(p, 'docString', v.docString, v);
  return p;
}

export function typeToProto(t: TypeInfo): onnx.ITypeProto {
  const p: onnx.ITypeProto = {};
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const tt: onnx.TypeProto.ITensor = { elemType: t.elemType };
      if (t.shape) {
        tt.shape = {
          dim: t.shape.map((d, i) => {
            const dim: onnx.TensorShapeProto.IDimension = {};
            if (typeof d === 'number') dim.dimValue = fromNumber(d);
            else if (typeof d === 'string') dim.dimParam = d;
            setString(dim, 'denotation', t.dimDenotations?.[i]);
            return dim;
          }),
        };
      }
      if (t.kind === 'tensor') p.tensorType = tt;
      else p.sparseTensorType = tt;
      break;
    }
    case 'sequence':
      p.sequenceType = t.elem ? { elemType: typeToProto(t.elem) } : {};
      break;
    case 'optional':
      p.optionalType = t.elem ? { elemType: typeToProto(t.elem) } : {};
      break;
    case 'map':
      p.mapType = { keyType: t.keyType };
      if (t.value) p.mapType.valueType = typeToProto(t.value);
      break;
    case 'opaque':
      p.opaqueType = {};
      setString(p.opaqueType, 'domain', t.domain);
      setString(p.opaqueType, 'name', t.name);
      break;
    case 'none':
      break;
  }
  setString(p, 'denotation', t.denotation, t);
  return p;
}

export function tensorToProto(t: Tensor): onnx.ITensorProto {
  const p: onnx.ITensorProto = {
    dims: t.dims.map(fromNumber),
    dataType: t.dataType,
    metadataProps: entries(t.metadataProps),
  };
  setString(p, 'name', t.name, t);
  setString(p, 'docString', t.docString, t);
  if (t.segment) p.segment = { begin: fromBigInt(t.segment.begin), end: fromBigInt(t.segment.end) };
  const d = t.data;
  switch (d.kind) {
    case 'raw':
      p.rawData = d.bytes;
      break;
    case 'external': {
      const ext: StringEntry[] = [{ key: 'location', value: d.location }];
      if (d.offset || Number.isNaN(d.offset)) ext.push({ key: 'offset', value: String(d.offset) });
      if (d.length !== undefined) ext.push({ key: 'length', value: String(d.length) });
      if (d.checksum !== undefined) ext.push({ key: 'checksum', value: d.checksum });
      ext.push(...(d.extra ?? []));
      p.externalData = entries(ext);
      p.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      break;
    }
    case 'float':
      p.floatData = Array.from(d.values);
      break;
    case 'int32':
      p.int32Data = Array.from(d.values);
      break;
    case 'int64':
      p.int64Data = Array.from(d.values, (v) => fromBigInt(v));
      break;
    case 'double':
      p.doubleData = Array.from(d.values);
      break;
    case 'uint64':
      p.uint64Data = Array.from(d.values, (v) => fromBigInt(v, true));
      break;
    case 'string':
      p.stringData = d.values;
      break;
    case 'empty':
      break;
  }
  if (d.kind !== 'external' && notedPresence(t, 'dataLocation')) p.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  return p;
}

function sparseToProto(s: SparseTensor): onnx.ISparseTensorProto {
  return { values: tensorToProto(s.values), indices: tensorToProto(s.indices), dims: s.dims.map(fromNumber) };
}

function attributeToProto(a: Attribute): onnx.IAttributeProto {
  const p: onnx.IAttributeProto = { name: a.name };
  setString(p, 'refAttrName', a.refAttrName, a);
  setString(p, 'docString', a.docString, a);
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'float':
      Object.assign(p, { type: T.FLOAT, f: a.value });
      break;
    case 'int':
      Object.assign(p, { type: T.INT, i: fromBigInt(a.value) });
      break;
    case 'string':
      Object.assign(p, { type: T.STRING, s: utf8(a.value) });
      break;
    case 'tensor':
      Object.assign(p, { type: T.TENSOR, t: tensorToProto(a.value) });
      break;
    case 'graph':
      Object.assign(p, { type: T.GRAPH, g: graphToProto(a.value) });
      break;
    case 'sparse_tensor':
      Object.assign(p, { type: T.SPARSE_TENSOR, sparseTensor: sparseToProto(a.value) });
      break;
    case 'type_proto':
      Object.assign(p, { type: T.TYPE_PROTO, tp: typeToProto(a.value) });
      break;
    case 'floats':
      Object.assign(p, { type: T.FLOATS, floats: a.value });
      break;
    case 'ints':
      Object.assign(p, { type: T.INTS, ints: a.value.map((v) => fromBigInt(v)) });
      break;
    case 'strings':
      Object.assign(p, { type: T.STRINGS, strings: a.value.map(utf8) });
      break;
    case 'tensors':
      Object.assign(p, { type: T.TENSORS, tensors: a.value.map(tensorToProto) });
      break;
    case 'graphs':
      Object.assign(p, { type: T.GRAPHS, graphs: a.value.map(graphToProto) });
      break;
    case 'sparse_tensors':
      Object.assign(p, { type: T.SPARSE_TENSORS, sparseTensors: a.value.map(sparseToProto) });
      break;
    case 'type_protos':
      Object.assign(p, { type: T.TYPE_PROTOS, typeProtos: a.value.map(typeToProto) });
      break;
    case 'undefined':
      break;
  }
  return p;
}

const textEncoder = new TextEncoder();
function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}
