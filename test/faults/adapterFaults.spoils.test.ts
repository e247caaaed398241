/** The DAP fault sweep for faults that spoil bytes on the wire (see adapterSuite.ts). */
import { dapSweepSuite } from './adapterSuite';

dapSweepSuite(['corrupt', 'truncate', 'duplicate', 'garbage']);
