import { defineRules } from '../registry.js';

defineRules([]);
