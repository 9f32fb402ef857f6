import { dialectContract } from './dialect.cases.js';
import { clickhouseEngine } from './engines.js';

dialectContract(clickhouseEngine);
