/** Code size the decoder assumes: real/16-bit protected mode, 32-bit protected mode, long mode. */
export type Bitness = 16 | 32 | 64;

/** `intel` reads like gdb's `set disassembly-flavor intel` / `objdump -M intel`; `att` like their default. */
export type Syntax = 'intel' | 'att';

/** Names an address (`"vmx_vmexit_handler"`, `"vmx_vmexit_handler+0x1a"`), or undefined when unknown. */
export type Symbolizer = (addr: bigint) => string | undefined;

export interface DisassembleOptions {
  syntax?: Syntax;
  /**
   * Labels branch targets and RIP-relative/absolute memory operands, and fills `symbol` for
   * instructions that start one (a label without a `+0x…` offset).
   */
  symbolize?: Symbolizer;
  /** Stop after this many instructions (default: decode every byte). */
  maxInstructions?: number;
}

export interface Instruction {
  address: bigint;
  /** The encoding (a copy); empty for placeholders of unreadable memory. */
  bytes: Uint8Array;
  /** Bytes covered: the encoding's length, or the span of an unreadable placeholder. */
  length: number;
  text: string;
  /** Target of a near jump, Jcc, call, loop or xbegin. */
  branchTarget?: bigint;
  /** Set when the instruction's address is exactly a symbol. */
  symbol?: string;
  /** Undecodable bytes, a cut-off encoding, or an unreadable placeholder. */
  invalid: boolean;
  /** Memory could not be read here; `text` is `??`. */
  unreadable?: boolean;
}

/** The longest legal x86 instruction (SDM vol. 2, 2.3.11). */
export const MAX_INSTRUCTION_BYTES = 15;
