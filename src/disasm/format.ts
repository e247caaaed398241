import {
  Formatter,
  FormatterSyntax,
  MemorySizeOptions,
  OpKind,
  Register,
  type Instruction as IcedInstruction,
} from 'iced-x86';
import { hex } from '../util/numbers';
import type { Syntax, Symbolizer } from './types';

/**
 * One formatter per syntax, configured to read like gdb/objdump: `0x` hex, no leading zeros,
 * explicit operand sizes in Intel syntax, `[rip+0x10]` rather than a computed absolute address.
 * Created lazily and kept: a formatter lives in wasm memory and costs nothing while idle.
 */
const formatters = new Map<Syntax, Formatter>();

function formatterFor(syntax: Syntax): Formatter {
  let f = formatters.get(syntax);
  if (!f) {
    f = new Formatter(syntax === 'intel' ? FormatterSyntax.Intel : FormatterSyntax.Gas);
    f.hexPrefix = '0x';
    f.hexSuffix = '';
    f.uppercaseHex = false;
    f.leadingZeros = false;
    f.branchLeadingZeros = false;
    f.smallHexNumbersInDecimal = false;
    f.showBranchSize = false;
    f.ripRelativeAddresses = true;
    f.showUselessPrefixes = true; // `cs nop` padding and the like stay visible
    f.spaceAfterOperandSeparator = false;
    f.showZeroDisplacements = true; // `[rax+rax*1+0x0]`: the encoding has a displacement byte
    if (syntax === 'intel') {
      f.memorySizeOptions = MemorySizeOptions.Always;
      f.alwaysShowScale = true;
    } else {
      f.gasShowMnemonicSizeSuffix = false;
    }
    formatters.set(syntax, f);
  }
  return f;
}

const NEAR_BRANCH_KINDS = new Set<OpKind>([OpKind.NearBranch16, OpKind.NearBranch32, OpKind.NearBranch64]);

export interface Formatted {
  text: string;
  branchTarget?: bigint;
}

/**
 * Formats one decoded instruction. iced's JavaScript build has no symbol-resolver hook, so
 * symbols are added after formatting, the way gdb shows them: `call 0x… <name+0x4>` for branch
 * targets and a trailing `# 0x… <name>` for a memory operand at a known address.
 */
export function formatInstruction(instr: IcedInstruction, syntax: Syntax, symbolize?: Symbolizer): Formatted {
  let text = formatterFor(syntax).format(instr);
  if (instr.isInvalid) return { text };
  if (syntax === 'intel') text = gdbFarForms(instr, text);

  let branchTarget: bigint | undefined;
  for (let op = 0; op < instr.opCount; op++) {
    if (NEAR_BRANCH_KINDS.has(instr.opKind(op))) branchTarget = instr.nearBranchTarget;
  }
  if (branchTarget !== undefined) {
    const label = symbolize?.(branchTarget);
    if (label !== undefined) text += ` <${label}>`;
    return { text, branchTarget };
  }

  const memoryVa = memoryOperandAddress(instr);
  if (memoryVa !== undefined) {
    const label = symbolize?.(memoryVa.va);
    // RIP-relative operands always get the address (the text only shows the displacement).
    if (label !== undefined || memoryVa.ipRelative) {
      text += `  # ${hex(memoryVa.va)}${label === undefined ? '' : ` <${label}>`}`;
    }
  }
  return { text };
}

/** The address a memory operand names when it is fixed: RIP/EIP-relative or a bare displacement. */
function memoryOperandAddress(instr: IcedInstruction): { va: bigint; ipRelative: boolean } | undefined {
  let hasMemory = false;
  for (let op = 0; op < instr.opCount; op++) {
    if (instr.opKind(op) === OpKind.Memory) hasMemory = true;
  }
  if (!hasMemory) return undefined;
  if (instr.isIpRelMemoryOperand) return { va: instr.ipRelMemoryAddress, ipRelative: true };
  if (instr.memoryBase === Register.None && instr.memoryIndex === Register.None && instr.memoryDisplSize > 0) {
    return { va: instr.memoryDisplacement, ipRelative: false };
  }
  return undefined;
}

/**
 * iced's Intel syntax follows XED for far transfers (`jmp far 0x100020,8`, `data64 ret far`);
 * boot and entry code readers know them as gdb/objdump print them: `jmp 0x8:0x100020`, `retfq`.
 */
function gdbFarForms(instr: IcedInstruction, text: string): string {
  const op0 = instr.opCount > 0 ? instr.opKind(0) : undefined;
  if (op0 === OpKind.FarBranch16 || op0 === OpKind.FarBranch32) {
    const offset = op0 === OpKind.FarBranch16 ? instr.farBranch16 : instr.farBranch32;
    return text.replace(/ far .*$/, ` ${hex(instr.farBranchSelector)}:${hex(offset)}`);
  }
  return text.replace(/^(?:(data16|data64) )?ret far\b/, (_m, size?: string) =>
    size === 'data64' ? 'retfq' : size === 'data16' ? 'retfw' : 'retf',
  );
}
