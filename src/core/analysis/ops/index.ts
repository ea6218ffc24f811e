// Every family of shape rules; importing this module registers them all.
import './elementwise.js';
