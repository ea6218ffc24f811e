/**
 * Shape rules for control flow (If, Loop, Scan, SequenceMap), sequences and optionals, the misc family (random,
 * DFT/STFT/windows, text, training) and ai.onnx.ml. Expected shapes come from the operator specs (Operators.md,
 * the ONNX-ML docs) and, for ai.onnx.ml, from what ONNX Runtime really outputs for the same model.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { Dim, ValueFacts } from '../../src/core/analysis/facts.js';
import { type InferOptions, inferShapes } from '../../src/core/analysis/infer.js';
import { attr, GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType, decodeModel, encodeModel, type Model, type TypeInfo } from '../../src/core/onnx/index.js';

const F = DataType.FLOAT;
const I64 = DataType.INT64;
const BOOL = DataType.BOOL;

function infer(model: Model, options: InferOptions = {}) {
  const r = inferShapes(model, { useDeclared: false, ...options });
  return {
    get(name: string): ValueFacts | undefined {
      return r.values.get(name);
    },
    warnings: r.warnings,
  };
}

/** dtype and shape of a tensor value, as `dtype[d0,d1]` (`?` for an unknown dim, `*` for an unknown rank). */
function sig(f: ValueFacts | undefined): string {
  if (!f) return 'nothing';
  if (f.kind === 'unknown') return 'unknown';
  if (f.kind !== 'tensor') {
    const len = f.kind === 'sequence' && f.length !== undefined ? `#${f.length}` : '';
    return `${f.kind}${len}<${sig(f.elem)}>`;
  }
  const dims = f.shape ? `[${f.shape.map((d: Dim) => (d === null ? '?' : d)).join(',')}]` : '*';
  return `${f.dtype ?? '?'}${dims}`;
}

function expectSig(model: Model, expected: Record<string, string>, options: InferOptions = {}): void {
  const r = infer(model, options);
  for (const [name, want] of Object.entries(expected)) {
    assert.equal(sig(r.get(name)), want, `${name}; warnings: ${r.warnings.map((w) => w.message).join('; ')}`);
  }
}

/** Sets a graph output's declared type to something other than a tensor (the builder declares tensors). */
function declare(model: Model, name: string, type: TypeInfo): void {
  const o = model.graph.outputs.find((v) => v.name === name);
  assert.ok(o, `output ${name} exists`);
  o.type = type;
}

describe('If', () => {
  function ifModel(cond: 'input' | 'true' | 'false', elseDims: number[]) {
    const b = new GraphBuilder({ opset: 13 });
    const c = cond === 'input' ? b.input('c', BOOL, []) : b.constant('c', BOOL, [], [cond === 'true' ? 1 : 0]);
    const t = b.subgraph('then');
    t.output(t.constant('t_out', F, [2, 3], new Array(6).fill(1)), F, [2, 3]);
    const e = b.subgraph('else');
    const n = elseDims.reduce((a, x) => a * x, 1);
    e.output(e.constant('e_out', F, elseDims, new Array(n).fill(2)), F, elseDims);
    b.nodeOutputs('If', [c], ['y'], { then_branch: attr.graph(t.toGraph()), else_branch: attr.graph(e.toGraph()) });
    b.output('y', F);
    return b.build();
  }

  test('branches of different shapes merge: equal dims kept, differing dims unknown', () => {
    expectSig(ifModel('input', [2, 4]), { y: '1[2,?]' });
  });
  test('branches of different ranks give an unknown rank but keep the element type', () => {
    expectSig(ifModel('input', [6]), { y: '1*' });
  });
  test('a constant condition selects its branch', () => {
    expectSig(ifModel('true', [6]), { y: '1[2,3]' });
    expectSig(ifModel('false', [6]), { y: '1[6]' });
  });
});

describe('Loop', () => {
  /**
   * Loop(M, cond, y) whose body adds 1 to y (or, with `grow`, doubles y's length via a sequence) and scans y_out.
   */
  function loopModel(opts: { m: 'input' | number | 'none'; cond: 'none' | 'input' | 'true'; grow?: boolean }) {
    const b = new GraphBuilder({ opset: 13 });
    const m = opts.m === 'input' ? b.input('M', I64, []) : opts.m === 'none' ? '' : b.constant('M', I64, [], [opts.m]);
    const cond =
      opts.cond === 'input' ? b.input('cond', BOOL, []) : opts.cond === 'true' ? b.constant('cond', BOOL, [], [1]) : '';
    const y = b.input('y', F, [1]);
    const body = b.subgraph('body');
    body.input('i', I64, []);
    const condIn = body.input('cond_in', BOOL, []);
    const yIn = body.input('y_in', F, [1]);
    const condOut = body.node('Identity', [condIn], {}, { outputs: ['cond_out'] });
    let yOut: string;
    if (opts.grow) {
      const seq = body.node('SequenceConstruct', [yIn, yIn]);
      yOut = body.node('ConcatFromSequence', [seq], { axis: 0 }, { outputs: ['y_out'] });
    } else {
      const one = body.constant('one', F, [1], [1]);
      yOut = body.node('Add', [yIn, one], {}, { outputs: ['y_out'] });
    }
    const scan = body.node('Identity', [yOut], {}, { outputs: ['scan_out'] });
    body.output(condOut, BOOL, []);
    body.output(yOut, F);
    body.output(scan, F);
    b.nodeOutputs('Loop', [m, cond, y], ['y_final', 'ys'], { body: attr.graph(body.toGraph()) });
    b.output('y_final', F);
    b.output('ys', F);
    return b.build();
  }

  test('a constant trip count without a condition fixes the scan length', () => {
    expectSig(loopModel({ m: 5, cond: 'none' }), { y_final: '1[1]', ys: '1[5,1]' });
  });
  test('a trip count known only at run time leaves the scan length unknown', () => {
    expectSig(loopModel({ m: 'input', cond: 'none' }), { y_final: '1[1]', ys: '1[?,1]' });
  });
  test('a condition that may end the loop early leaves the scan length unknown', () => {
    expectSig(loopModel({ m: 5, cond: 'input' }), { ys: '1[?,1]' });
  });
  test('a condition that stays true (constant, passed through) keeps the trip count', () => {
    expectSig(loopModel({ m: 3, cond: 'true' }), { ys: '1[3,1]' });
  });
  test('no trip count and no condition: the length is unknown', () => {
    expectSig(loopModel({ m: 'none', cond: 'input' }), { ys: '1[?,1]' });
  });
  test('zero iterations: the final values are the initial ones', () => {
    expectSig(loopModel({ m: 0, cond: 'none', grow: true }), { y_final: '1[1]', ys: '1[0,?]' });
  });
  test('a loop-carried dim that changes across iterations becomes unknown', () => {
    const r = infer(loopModel({ m: 4, cond: 'none', grow: true }));
    assert.equal(sig(r.get('y_final')), '1[?]', 'the length doubles each iteration');
    assert.equal(sig(r.get('ys')), '1[4,?]', 'scan elements of varying length');
  });
  test('the body sees the iteration number as an int64 scalar and the carried values without constants', () => {
    const b = new GraphBuilder({ opset: 13 });
    const m = b.constant('M', I64, [], [3]);
    const y0 = b.constant('y0', I64, [1], [7]);
    const body = b.subgraph('body');
    const i = body.input('i', I64, []);
    const c = body.input('c', BOOL, []);
    const yIn = body.input('y_in', I64, [1]);
    const yOut = body.node('Add', [yIn, i], {}, { outputs: ['y_out'] });
    body.output(body.node('Identity', [c]), BOOL, []);
    body.output(yOut, I64, [1]);
    body.output(body.node('Identity', [i], {}, { outputs: ['iter'] }), I64, []);
    b.nodeOutputs('Loop', [m, '', y0], ['y_final', 'iters'], { body: attr.graph(body.toGraph()) });
    b.output('y_final', I64);
    b.output('iters', I64);
    const r = infer(b.build());
    assert.equal(sig(r.get('iters')), '7[3]', 'iteration numbers scanned');
    const y = r.get('y_final');
    assert.equal(sig(y), '7[1]', 'final value shape');
    assert.ok(y?.kind === 'tensor' && y.value === undefined, 'the value 7 changes in the loop: not kept as constant');
  });
});

describe('Scan', () => {
  function scanModel(opset: number, attrs: Record<string, number[]>, x: number[], initial: number[]) {
    const b = new GraphBuilder({ opset });
    const s0 = b.input('s0', F, initial);
    const xs = b.input('x', F, x);
    const body = b.subgraph('body');
    const sIn = body.input('s_in', F, opset === 8 ? initial.slice(1) : initial);
    const e = body.input('e', F);
    const sOut = body.node('Add', [sIn, e], {}, { outputs: ['s_out'] });
    body.output(sOut, F);
    body.output(body.node('Identity', [sOut], {}, { outputs: ['o'] }), F);
    const inputs = opset === 8 ? ['', s0, xs] : [s0, xs];
    b.nodeOutputs('Scan', inputs, ['s_final', 'z'], {
      body: attr.graph(body.toGraph()),
      num_scan_inputs: attr.int(1),
      ...Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr.ints(v)])),
    });
    b.output('s_final', F);
    b.output('z', F);
    return b.build();
  }

  test('opset 9: scan along axis 0, outputs stacked along axis 0', () => {
    expectSig(scanModel(9, {}, [3, 2], [2]), { s_final: '1[2]', z: '1[3,2]' });
  });
  test('opset 11: scan_input_axes and scan_output_axes (negative too)', () => {
    expectSig(scanModel(11, { scan_input_axes: [1], scan_output_axes: [-1] }, [2, 5], [2]), {
      s_final: '1[2]',
      z: '1[2,5]',
    });
    expectSig(scanModel(11, { scan_input_axes: [-1], scan_output_axes: [0] }, [2, 5], [2]), { z: '1[5,2]' });
  });
  test('opset 8: batch axis 0 and sequence axis 1', () => {
    expectSig(scanModel(8, {}, [1, 3, 2], [1, 2]), { s_final: '1[1,2]', z: '1[1,3,2]' });
  });
});

describe('sequences', () => {
  test('SequenceEmpty (float by default), SequenceInsert, SequenceLength folds', () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', I64, [2, 3]);
    const empty = b.node('SequenceEmpty', [], { dtype: attr.int(I64) }, { outputs: ['empty'] });
    const s1 = b.node('SequenceInsert', [empty, x], {}, { outputs: ['s1'] });
    b.node('SequenceLength', [s1], {}, { outputs: ['n'] });
    b.node('SequenceAt', [s1, b.constant('p', I64, [], [0])], {}, { outputs: ['at'] });
    b.node('SequenceEmpty', [], {}, { outputs: ['empty_f'] });
    b.output('n', I64);
    b.output('at', I64);
    const r = infer(b.build());
    assert.equal(sig(r.get('empty')), 'sequence#0<7*>', 'empty int64 sequence');
    assert.equal(sig(r.get('empty_f')), 'sequence#0<1*>', 'float by default');
    assert.equal(sig(r.get('s1')), 'sequence#1<7[2,3]>', 'inserted into an empty sequence: exactly the tensor');
    const n = r.get('n');
    assert.ok(n?.kind === 'tensor' && n.value?.data[0] === 1, 'SequenceLength folds to 1');
    assert.equal(sig(n), '7[]', 'an int64 scalar');
    assert.equal(sig(r.get('at')), '7[2,3]', 'SequenceAt');
  });

  test('SequenceConstruct merges element shapes; SequenceErase and SequenceAt', () => {
    const b = new GraphBuilder({ opset: 13 });
    const a = b.input('a', F, [2, 3]);
    const c = b.input('c', F, [2, 4]);
    const s = b.node('SequenceConstruct', [a, c], {}, { outputs: ['s'] });
    b.node('SequenceErase', [s], {}, { outputs: ['e'] });
    b.node('SequenceAt', [s, b.input('pos', I64, [])], {}, { outputs: ['at'] });
    b.output('at', F);
    expectSig(b.build(), { s: 'sequence#2<1[2,?]>', e: 'sequence#1<1[2,3]>', at: '1[2,?]' });
  });

  test('a sequence of known composition: SequenceAt, SequenceInsert and SequenceErase by constant position', () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', F, [4, 5]);
    const parts = b.node('SplitToSequence', [x, b.constant('sizes', I64, [3], [1, 2, 1])], {}, { outputs: ['parts'] });
    b.node('SequenceAt', [parts, b.constant('one', I64, [], [1])], {}, { outputs: ['second'] });
    b.node('SequenceAt', [parts, b.constant('minus1', I64, [], [-1])], {}, { outputs: ['last'] });
    const y = b.input('y', F, [7, 5]);
    const ins = b.node('SequenceInsert', [parts, y, b.constant('zero', I64, [], [0])], {}, { outputs: ['ins'] });
    b.node('SequenceAt', [ins, 'zero'], {}, { outputs: ['first'] });
    const erased = b.node('SequenceErase', [ins, 'zero'], {}, { outputs: ['erased'] });
    b.node('ConcatFromSequence', [erased], { axis: attr.int(0) }, { outputs: ['cat'] });
    b.node('ConcatFromSequence', [ins], { axis: attr.int(0) }, { outputs: ['cat_all'] });
    b.node('SequenceAt', [parts, b.constant('three', I64, [], [3])], {}, { outputs: ['oob'] });
    b.output('cat', F);
    const r = infer(b.build());
    assert.equal(sig(r.get('parts')), 'sequence#3<1[?,5]>', 'element facts merged');
    assert.equal(sig(r.get('second')), '1[2,5]', 'element 1 exactly');
    assert.equal(sig(r.get('last')), '1[1,5]', 'element -1 exactly');
    assert.equal(sig(r.get('first')), '1[7,5]', 'inserted at the front');
    assert.equal(sig(r.get('erased')), 'sequence#3<1[?,5]>', 'erased again');
    assert.equal(sig(r.get('cat')), '1[4,5]', 'concatenation adds up the elements');
    assert.equal(sig(r.get('cat_all')), '1[11,5]', 'with the inserted element');
    assert.equal(sig(r.get('oob')), 'unknown', 'position 3 is out of range');
    assert.ok(
      r.warnings.some((w) => /out of range/.test(w.message)),
      'an out-of-range position is reported',
    );
  });

  test('SplitToSequence: no split (keepdims), scalar split, list split; ConcatFromSequence', () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', F, [6, 4]);
    b.node('SplitToSequence', [x], { axis: attr.int(0), keepdims: attr.int(0) }, { outputs: ['ones'] });
    b.node('SplitToSequence', [x], { axis: attr.int(0) }, { outputs: ['ones_kept'] });
    b.node('SplitToSequence', [x, b.constant('four', I64, [], [4])], {}, { outputs: ['uneven'] });
    b.node('SplitToSequence', [x, b.constant('two', I64, [], [2])], {}, { outputs: ['even'] });
    const halves = b.node('SplitToSequence', [x, b.constant('halves_at', I64, [2], [3, 3])], {}, { outputs: ['h'] });
    b.node('SplitToSequence', [x, b.constant('parts', I64, [2], [1, 3])], { axis: attr.int(-1) }, { outputs: ['p'] });
    b.node('ConcatFromSequence', [halves], { axis: attr.int(1) }, { outputs: ['cat'] });
    b.node('ConcatFromSequence', [halves], { axis: attr.int(0), new_axis: attr.int(1) }, { outputs: ['stack0'] });
    b.node('ConcatFromSequence', [halves], { axis: attr.int(-1), new_axis: attr.int(1) }, { outputs: ['stackl'] });
    b.output('cat', F);
    expectSig(b.build(), {
      ones: 'sequence#6<1[4]>',
      ones_kept: 'sequence#6<1[1,4]>',
      uneven: 'sequence#2<1[?,4]>',
      even: 'sequence#3<1[2,4]>',
      h: 'sequence#2<1[3,4]>',
      p: 'sequence#2<1[6,?]>',
      cat: '1[3,8]',
      stack0: '1[2,3,4]',
      stackl: '1[3,4,2]',
    });
  });

  test('a split that does not add up to the axis is reported, not guessed', () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', F, [6, 4]);
    b.node('SplitToSequence', [x, b.constant('bad', I64, [2], [2, 2])], {}, { outputs: ['s'] });
    const r = infer(b.build());
    assert.equal(sig(r.get('s')), 'unknown', 'no facts');
    assert.ok(
      r.warnings.some((w) => w.code === 'rule-failed' && /add up/.test(w.message)),
      'a warning names the problem',
    );
  });

  test('Optional with a type, OptionalGetElement, OptionalHasElement', () => {
    const b = new GraphBuilder({ opset: 16 });
    const x = b.input('x', F, [5]);
    const full = b.node('Optional', [x], {}, { outputs: ['full'] });
    b.node('OptionalGetElement', [full], {}, { outputs: ['got'] });
    b.node('OptionalHasElement', [full], {}, { outputs: ['has'] });
    const seqType: TypeInfo = { kind: 'sequence', elem: { kind: 'tensor', elemType: I64, shape: [2] } };
    b.node('Optional', [], { type: { type: 'type_proto', value: seqType } }, { outputs: ['none'] });
    b.node('OptionalGetElement', ['none'], {}, { outputs: ['seq'] });
    b.output('got', F);
    const model = b.build();
    expectSig(model, {
      full: 'optional<1[5]>',
      got: '1[5]',
      has: '9[]',
      none: 'optional<sequence<7[2]>>',
      seq: 'sequence<7[2]>',
    });
  });

  test('SequenceMap maps the body over elements; tensors are passed as they are', () => {
    const b = new GraphBuilder({ opset: 17 });
    const x = b.input('x', F, [6, 4]);
    const bias = b.input('bias', F, [4]);
    const seq = b.node('SplitToSequence', [x, b.constant('halves', I64, [2], [3, 3])]);
    const body = b.subgraph('body');
    const e = body.input('e', F, ['N', 4]);
    const bb = body.input('b', F, [4]);
    body.output(body.node('Add', [e, bb], {}, { outputs: ['sum'] }), F);
    body.output(body.node('Identity', [e], {}, { outputs: ['same'] }), F);
    b.nodeOutputs('SequenceMap', [seq, bias], ['sums', 'sames'], { body: attr.graph(body.toGraph()) });
    b.output('sums', F);
    b.output('sames', F);
    expectSig(b.build(), { sums: 'sequence#2<1[3,4]>', sames: 'sequence#2<1[3,4]>' });
  });

  test('If merges sequences of different element shapes', () => {
    const b = new GraphBuilder({ opset: 13 });
    const c = b.input('c', BOOL, []);
    const t = b.subgraph('then');
    t.output(t.node('SequenceConstruct', [t.constant('tv', F, [2], [1, 2])], {}, { outputs: ['ts'] }), F);
    const e = b.subgraph('else');
    e.output(e.node('SequenceConstruct', [e.constant('ev', F, [3], [1, 2, 3])], {}, { outputs: ['es'] }), F);
    b.nodeOutputs('If', [c], ['y'], { then_branch: attr.graph(t.toGraph()), else_branch: attr.graph(e.toGraph()) });
    b.output('y', F);
    const model = b.build();
    declare(model, 'y', { kind: 'sequence', elem: { kind: 'tensor', elemType: F } });
    expectSig(model, { y: 'sequence#1<1[?]>' });
  });
});

describe('misc: random, signal, text, training', () => {
  test('random generators', () => {
    const b = new GraphBuilder({ opset: 15 });
    const x = b.input('x', F, ['N', 3]);
    b.node('Bernoulli', [x], {}, { outputs: ['bern'] });
    b.node('Bernoulli', [x], { dtype: attr.int(DataType.DOUBLE) }, { outputs: ['bern_d'] });
    b.node('RandomNormal', [], { shape: attr.ints([2, 5]) }, { outputs: ['rn'] });
    b.node('RandomUniform', [], { shape: attr.ints([4]), dtype: attr.int(DataType.DOUBLE) }, { outputs: ['ru'] });
    b.node('RandomUniformLike', [x], {}, { outputs: ['rul'] });
    b.node('RandomNormalLike', [x], { dtype: attr.int(DataType.FLOAT16) }, { outputs: ['rnl'] });
    b.node('Multinomial', [x], { sample_size: attr.int(7) }, { outputs: ['mn'] });
    b.node('Multinomial', [x], { dtype: attr.int(I64) }, { outputs: ['mn64'] });
    b.output('bern', F);
    const r = infer(b.build());
    assert.equal(sig(r.get('bern')), '1[N,3]', 'Bernoulli keeps the input type');
    assert.equal(sig(r.get('bern_d')), '11[N,3]', 'Bernoulli dtype');
    assert.equal(sig(r.get('rn')), '1[2,5]', 'RandomNormal: float by default');
    assert.equal(sig(r.get('ru')), '11[4]', 'RandomUniform dtype');
    assert.equal(sig(r.get('rul')), '1[N,3]', 'RandomUniformLike');
    assert.equal(sig(r.get('rnl')), '10[N,3]', 'RandomNormalLike dtype');
    assert.equal(sig(r.get('mn')), '6[N,7]', 'Multinomial: int32 [batch, sample_size]');
    assert.equal(sig(r.get('mn64')), '7[N,1]', 'Multinomial: sample_size 1 by default');
  });

  test('DFT-17: axis attribute, onesided, dft_length', () => {
    const b = new GraphBuilder({ opset: 17 });
    const x = b.input('x', F, [1, 10, 10, 1]);
    b.node('DFT', [x], {}, { outputs: ['d'] });
    b.node('DFT', [x], { axis: attr.int(2), onesided: attr.int(1) }, { outputs: ['half'] });
    b.node('DFT', [x, b.constant('len', I64, [], [16])], {}, { outputs: ['padded'] });
    b.node('DFT', [x, b.input('len_rt', I64, [])], {}, { outputs: ['rt'] });
    b.output('d', F);
    expectSig(b.build(), { d: '1[1,10,10,2]', half: '1[1,10,6,2]', padded: '1[1,16,10,2]', rt: '1[1,?,10,2]' });
  });

  test('DFT-20: axis as an input (default -2)', () => {
    const b = new GraphBuilder({ opset: 20 });
    const x = b.input('x', F, [2, 8, 1]);
    b.node('DFT', [x], {}, { outputs: ['d'] });
    b.node('DFT', [x], { onesided: attr.int(1) }, { outputs: ['half'] });
    const y = b.input('y', F, [2, 8, 6, 2]);
    b.node('DFT', [y, '', b.constant('ax', I64, [], [1])], { inverse: attr.int(1) }, { outputs: ['inv'] });
    b.node('DFT', [y, '', b.input('ax_rt', I64, [])], {}, { outputs: ['rt'] });
    b.output('d', F);
    expectSig(b.build(), { d: '1[2,8,2]', half: '1[2,5,2]', inv: '1[2,8,6,2]', rt: '1[?,?,?,2]' });
  });

  test('STFT: frames and bins from frame_step, frame_length or the window', () => {
    const b = new GraphBuilder({ opset: 17 });
    const s = b.input('s', F, [1, 128, 1]);
    const step = b.constant('step', I64, [], [8]);
    const len = b.constant('len', I64, [], [16]);
    b.node('STFT', [s, step, '', len], {}, { outputs: ['o'] });
    b.node('STFT', [s, step, b.input('w', F, [16])], { onesided: attr.int(0) }, { outputs: ['full'] });
    b.node('STFT', [s, b.input('step_rt', I64, []), '', len], {}, { outputs: ['rt'] });
    b.output('o', F);
    expectSig(b.build(), { o: '1[1,15,9,2]', full: '1[1,15,16,2]', rt: '1[1,?,9,2]' });
  });

  test('windows and MelWeightMatrix take their size from constant inputs', () => {
    const b = new GraphBuilder({ opset: 17 });
    const ten = b.constant('ten', I64, [], [10]);
    b.node('HannWindow', [ten], {}, { outputs: ['hann'] });
    b.node('HammingWindow', [ten], { output_datatype: attr.int(DataType.DOUBLE) }, { outputs: ['hamm'] });
    b.node('BlackmanWindow', [b.input('n', I64, [])], {}, { outputs: ['black'] });
    const mel = [8, 16, 8192].map((v, i) => b.constant(`m${i}`, DataType.INT32, [], [v]));
    const hz = [0, 4000].map((v, i) => b.constant(`hz${i}`, F, [], [v]));
    b.node('MelWeightMatrix', [...mel, ...hz], {}, { outputs: ['mel'] });
    b.output('hann', F);
    expectSig(b.build(), { hann: '1[10]', hamm: '11[10]', black: '1[?]', mel: '1[9,8]' });
  });

  test('TfIdfVectorizer, StringNormalizer and the opset-20 string operators', () => {
    const b = new GraphBuilder({ opset: 20 });
    const ids = b.input('ids', DataType.INT32, [2, 6]);
    const tfidf = { mode: 'TF', min_gram_length: 2, max_gram_length: 2, max_skip_count: 0 };
    b.node(
      'TfIdfVectorizer',
      [ids],
      {
        ...tfidf,
        ngram_counts: [0, 4],
        ngram_indexes: [0, 1, 2, 3, 4, 5, 6],
        pool_int64s: [2, 3, 5, 4, 5, 6, 7, 8, 6, 7],
      },
      { outputs: ['tf'] },
    );
    const words = b.input('words', DataType.STRING, [1, 6]);
    b.node('StringNormalizer', [words], { stopwords: attr.strings(['monday']) }, { outputs: ['norm'] });
    b.node('StringNormalizer', [words], { case_change_action: 'LOWER' }, { outputs: ['lower'] });
    b.node('StringConcat', [words, b.input('suffix', DataType.STRING, [1])], {}, { outputs: ['cat'] });
    b.nodeOutputs('StringSplit', [words], ['parts', 'counts'], {});
    b.node('RegexFullMatch', [words], { pattern: 'a.*' }, { outputs: ['match'] });
    b.node('ImageDecoder', [b.input('jpeg', DataType.UINT8, [1000])], {}, { outputs: ['rgb'] });
    b.node('ImageDecoder', ['jpeg'], { pixel_format: 'Grayscale' }, { outputs: ['gray'] });
    b.output('tf', F);
    expectSig(b.build(), {
      tf: '1[2,7]',
      norm: '8[1,?]',
      lower: '8[1,6]',
      cat: '8[1,6]',
      parts: '8[1,6,?]',
      counts: '7[1,6]',
      match: '9[1,6]',
      rgb: '2[?,?,3]',
      gray: '2[?,?,1]',
    });
  });

  test('training optimizers mirror their input groups', () => {
    const T = 'ai.onnx.preview.training';
    const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: T, version: 1 }] });
    const r = b.input('R', F, []);
    const t = b.input('T', I64, []);
    const tensors = (p: string) => [b.input(`${p}1`, F, [1]), b.input(`${p}2`, F, [2, 3])];
    const [x, g, v, h] = [tensors('X'), tensors('G'), tensors('V'), tensors('H')];
    b.nodeOutputs('Momentum', [r, t, ...x, ...g, ...v], ['mx1', 'mx2', 'mv1', 'mv2'], {}, { domain: T });
    b.nodeOutputs('Adagrad', [r, t, ...x, ...g, ...h], ['ax1', 'ax2', 'ah1', 'ah2'], {}, { domain: T });
    const adam = ['dx1', 'dx2', 'dv1', 'dv2', 'dh1', 'dh2'];
    b.nodeOutputs('Adam', [r, t, ...x, ...g, ...v, ...h], adam, {}, { domain: T });
    b.output('mx1', F);
    const want: Record<string, string> = {};
    for (const p of ['mx', 'mv', 'ax', 'ah', 'dx', 'dv', 'dh']) {
      want[`${p}1`] = '1[1]';
      want[`${p}2`] = '1[2,3]';
    }
    expectSig(b.build(), want);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ai.onnx.ml, checked against ONNX Runtime's real output shapes

const ML = 'ai.onnx.ml';

async function ortShapes(model: Model, feeds: Record<string, ort.Tensor>): Promise<Record<string, string>> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const out = await session.run(feeds);
    const types: Record<string, number> = { float32: F, int64: I64, string: DataType.STRING, float64: 11 };
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, `${types[v.type]}[${v.dims.join(',')}]`]));
  } finally {
    await session.release();
  }
}

function mlModel(build: (b: GraphBuilder) => void): Model {
  const b = new GraphBuilder({ opset: 13, opsetImports: [{ domain: ML, version: 2 }] });
  build(b);
  return decodeModel(encodeModel(b.build()));
}

const floats = (n: number) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => (i % 7) / 7),
    [n],
  );

describe('ai.onnx.ml', () => {
  const svm = (classes: number, probabilities: boolean) => ({
    classlabels_ints: attr.ints(Array.from({ length: classes }, (_, i) => i)),
    vectors_per_class: attr.ints(new Array(classes).fill(1)),
    support_vectors: attr.floats(new Array(classes * 4).fill(0.1)),
    coefficients: attr.floats(new Array((classes - 1) * classes).fill(0.1)),
    rho: attr.floats(new Array((classes * (classes - 1)) / 2).fill(0)),
    kernel_type: 'RBF',
    kernel_params: attr.floats([0.1, 0, 3]),
    ...(probabilities
      ? {
          prob_a: attr.floats(new Array((classes * (classes - 1)) / 2).fill(1)),
          prob_b: attr.floats(new Array((classes * (classes - 1)) / 2).fill(0)),
        }
      : {}),
  });

  const cases: {
    name: string;
    x: number[];
    build: (b: GraphBuilder, x: string) => void;
    outs: Record<string, number>;
  }[] = [
    {
      name: 'SVMClassifier with probabilities: one score per class',
      x: [3, 4],
      build: (b, x) => b.nodeOutputs('SVMClassifier', [x], ['y', 'z'], svm(4, true), { domain: ML }),
      outs: { y: I64, z: F },
    },
    {
      name: 'SVMClassifier without probabilities: one score per pair of classes',
      x: [3, 4],
      build: (b, x) => b.nodeOutputs('SVMClassifier', [x], ['y', 'z'], svm(4, false), { domain: ML }),
      outs: { y: I64, z: F },
    },
    {
      name: 'LinearClassifier with string labels, a 1-D input is one example',
      x: [4],
      build: (b, x) =>
        b.nodeOutputs(
          'LinearClassifier',
          [x],
          ['y', 'z'],
          {
            classlabels_strings: attr.strings(['a', 'b', 'c']),
            coefficients: attr.floats(new Array(12).fill(0.1)),
            intercepts: attr.floats([0, 0, 0]),
          },
          { domain: ML },
        ),
      outs: { y: DataType.STRING, z: F },
    },
    {
      name: 'LinearRegressor with 2 targets',
      x: [5, 4],
      build: (b, x) =>
        b.node(
          'LinearRegressor',
          [x],
          { targets: attr.int(2), coefficients: attr.floats(new Array(8).fill(0.1)) },
          { domain: ML, outputs: ['y'] },
        ),
      outs: { y: F },
    },
    {
      name: 'OneHotEncoder adds a dim; ArrayFeatureExtractor selects on the last axis',
      x: [2, 5],
      build: (b, x) => {
        b.node('OneHotEncoder', [x], { cats_int64s: attr.ints([1, 2, 3]) }, { domain: ML, outputs: ['y'] });
        const idx = b.constant('idx', I64, [2, 2], [0, 1, 2, 3]);
        b.node('ArrayFeatureExtractor', [x, idx], {}, { domain: ML, outputs: ['z'] });
      },
      outs: { y: F, z: F },
    },
    {
      name: 'Normalizer, Scaler, Binarizer, FeatureVectorizer',
      x: [2, 5],
      build: (b, x) => {
        b.node('Normalizer', [x], { norm: 'L1' }, { domain: ML, outputs: ['n'] });
        b.node('Scaler', [x], { offset: attr.floats([1]), scale: attr.floats([2]) }, { domain: ML, outputs: ['s'] });
        b.node('Binarizer', [x], {}, { domain: ML, outputs: ['bin'] });
        b.node('FeatureVectorizer', [x, x], { inputdimensions: attr.ints([5, 5]) }, { domain: ML, outputs: ['fv'] });
      },
      outs: { n: F, s: F, bin: F, fv: F },
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const model = mlModel((b) => {
        const x = b.input('x', F, c.x);
        c.build(b, x);
        for (const [o, t] of Object.entries(c.outs)) b.output(o, t);
      });
      const n = c.x.reduce((a, d) => a * d, 1);
      const real = await ortShapes(model, { x: new ort.Tensor('float32', floats(n).data as Float32Array, c.x) });
      const r = infer(model);
      for (const o of Object.keys(c.outs)) assert.equal(sig(r.get(o)), real[o], `${o} as ONNX Runtime outputs it`);
    });
  }

  test('ZipMap gives a sequence of maps; LabelEncoder and CategoryMapper map types', () => {
    const b = new GraphBuilder({ opset: 13, opsetImports: [{ domain: ML, version: 2 }] });
    const x = b.input('x', F, [3, 2]);
    b.node('ZipMap', [x], { classlabels_strings: attr.strings(['a', 'b']) }, { domain: ML, outputs: ['zm'] });
    const s = b.input('s', DataType.STRING, ['N']);
    b.node(
      'LabelEncoder',
      [s],
      { keys_strings: attr.strings(['a']), values_floats: attr.floats([1]) },
      {
        domain: ML,
        outputs: ['le'],
      },
    );
    b.node(
      'CategoryMapper',
      [s],
      { cats_strings: attr.strings(['a']), cats_int64s: attr.ints([1]) },
      {
        domain: ML,
        outputs: ['cm'],
      },
    );
    b.output('le', F);
    expectSig(b.build(), { zm: 'sequence#3<map<1[]>>', le: '1[N]', cm: '7[N]' });
  });

  const svmFile = `${process.env.SHARED_MODELS_DIR ?? '/work/shared/models'}/unusual/svm_har_wisdm.onnx`;
  test('svm_har_wisdm.onnx: inferred outputs match ONNX Runtime', { skip: !existsSync(svmFile) }, async () => {
    const model = decodeModel(readFileSync(svmFile));
    const real = await ortShapes(model, { X: new ort.Tensor('float32', new Float32Array(3 * 72).fill(0.1), [3, 72]) });
    const r = infer(model, { inputShapes: { X: [3, 72] } });
    assert.equal(sig(r.get('label')), real.label, 'label');
    assert.equal(sig(r.get('probabilities')), real.probabilities, 'probabilities');
    const symbolic = infer(model);
    assert.equal(sig(symbolic.get('probabilities')), '1[?,4]', 'with the declared batch dim unknown');
  });
});
