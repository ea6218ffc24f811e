// Every family of shape rules; importing this module registers them all.
import './contrib.js';
import './control.js';
import './elementwise.js';
import './gather.js';
import './misc.js';
import './ml.js';
import './nn.js';
import './quantized.js';
import './reduce.js';
import './rnn.js';
import './sequence.js';
import './shape.js';
