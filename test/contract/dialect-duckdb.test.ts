import { dialectContract } from './dialect.cases.js';
import { duckdbEngine } from './engines.js';

dialectContract(duckdbEngine);
