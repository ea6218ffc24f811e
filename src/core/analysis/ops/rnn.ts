/**
 * Recurrent layers (RNN, GRU, LSTM). With layout 0 (default) X is [seq_length, batch_size, input_size] and
 *   Y [seq_length, num_directions, batch_size, hidden_size], Y_h / Y_c [num_directions, batch_size, hidden_size];
 * with layout 1 (opset 14+) X is [batch_size, seq_length, input_size] and
 *   Y [batch_size, seq_length, num_directions, hidden_size], Y_h / Y_c [batch_size, num_directions, hidden_size].
 * num_directions is 2 for direction 'bidirectional', else 1; hidden_size comes from the attribute or from R
 * ([num_directions, gates*hidden_size, hidden_size]).
 */

import { type Dim, tensor, type ValueFacts } from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';
import { mergeDim } from './nn.js';

function recurrent(ctx: InferContext): (ValueFacts | undefined)[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const direction = ctx.string('direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw new Error(`unknown direction '${direction}'`);
  }
  const numDirections = mergeDim(direction === 'bidirectional' ? 2 : 1, ctx.shape(1)?.[0]);
  const hidden = mergeDim(ctx.int('hidden_size'), ctx.shape(2)?.[2]);
  const layout = ctx.int('layout', 0);
  if (layout !== 0 && layout !== 1) throw new Error(`layout must be 0 or 1, got ${layout}`);
  if (x && x.length !== 3) throw new Error(`X must have rank 3, got ${x.length}`);
  const seq: Dim | undefined = x?.[layout === 0 ? 0 : 1];
  const batch: Dim | undefined = x?.[layout === 0 ? 1 : 0];
  let y: Dim[] | undefined;
  let state: Dim[] | undefined;
  if (seq !== undefined && batch !== undefined) {
    y = layout === 0 ? [seq, numDirections, batch, hidden] : [batch, seq, numDirections, hidden];
    state = layout === 0 ? [numDirections, batch, hidden] : [batch, numDirections, hidden];
  }
  const outs: ValueFacts[] = [tensor(dtype, y), tensor(dtype, state)];
  if (ctx.node.opType === 'LSTM') outs.push(tensor(dtype, state));
  return outs;
}

defineRules([{ ops: ['RNN', 'GRU', 'LSTM'], infer: recurrent }]);
