/** The ONNX engine's public surface: read, validate, write, and access tensors. */
export * from './dtype.js';
export * from './externalData.js';
export * from './ir.js';
export * from './reader.js';
export * from './tensor.js';
export * from './validate.js';
export * from './writer.js';
