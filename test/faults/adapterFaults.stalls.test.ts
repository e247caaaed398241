/** The DAP fault sweep for faults that stall or end the conversation (see adapterSuite.ts). */
import { dapSweepSuite } from './adapterSuite';

dapSweepSuite(['drop', 'delay', 'close']);
