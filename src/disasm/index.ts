// The public face of disasm/: x86 disassembly (iced-x86) for the DAP disassembly view and the CLI.
export type { Bitness, Syntax, Symbolizer, DisassembleOptions, Instruction } from './types';
export { MAX_INSTRUCTION_BYTES } from './types';
export { disassemble } from './disassemble';
export { disassembleAround, type AroundOptions } from './around';
export type { ReadMemory } from './memoryWindow';
