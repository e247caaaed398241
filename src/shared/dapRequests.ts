/**
 * The contract between HyperFrame's views and its debug adapter: every `hyperframe/*` custom
 * request with its arguments and its result, the one shape of a decoded entry they share, and the
 * error ids failed responses carry. The adapter's dispatch is checked against `HyperFrameRequests`
 * (debugAdapter/customRequests.ts); the extension's session client is typed by it. No `vscode`
 * import: both sides, and tests, use it as is. docs/dap-custom-requests.md describes it for people.
 *
 * Conventions: 64-bit values (addresses, entries, CR3) travel as lower-case `0x…` strings (JSON
 * numbers lose bits past 2^53); arguments also accept decimal strings or safe non-negative
 * integers. Sizes are numbers of bytes. Fields may be added in later releases, none renamed.
 */
import type { PagingMode } from '../paging/modes';
import type { ErrorCode } from '../util/errors';
import { XEN_REQUEST_NAMES, type XenRequests } from './xenRequests';

export type * from './xenRequests';

/** A `0x…` string holding a 64-bit value. */
export type Hex = string;

/** An address argument: a `0x…`/decimal string or a safe non-negative integer. */
export type AddressArg = string | number;

export type PagingModeName = PagingMode;

export type EntryKindName = 'table' | 'page' | 'not-present';

/** One paging-structure entry, decoded: the same shape in every request that returns entries. */
export interface EntryInfo {
  /** 1 = PTE … the mode's top level. */
  level: number;
  raw: Hex;
  kind: EntryKindName;
  /** Next table or the page (`0x0` when not present). */
  address: Hex;
  /** Bytes, for pages. */
  pageSize?: number;
  /** Set flags by SDM name, in bit order (`P RW US A D XD`), then multi-bit fields when not zero (`AVL=3`, `PK=1`, `MT=6`). */
  flags: string[];
  /** Every field the format has, 0/1 or a number, under its SDM name (the tooltip's table). */
  fields: Record<string, number>;
  /** Reserved bits that are set (`0x0` when none): a walk through the entry faults. */
  reserved: Hex;
  /** EPT misconfigurations. */
  problems?: string[];
  /** Pages: the IA32_PAT entry the leaf selects (PAT·4 + PCD·2 + PWT). */
  patIndex?: number;
  /** Pages: its memory type under `patSource`'s IA32_PAT (`WB`, `WT`, `UC-`, `UC`, `WC`, `WP`). */
  memoryType?: string;
}

/** An entry in its table. */
export interface TableEntry extends EntryInfo {
  index: number;
  /** First VA the entry covers (canonical). */
  va: Hex;
  /** Physical address of the entry itself. */
  entryPa: Hex;
  /** Points at its own table or at the hierarchy's root: a recursive slot, not descended. */
  selfMap?: boolean;
}

// ---- hyperframe/roots ----

export interface RootInfo {
  vcpu: number;
  /** CR3 as the register holds it (root, PCID or PWT/PCD). */
  cr3: Hex;
  /** `none` when paging is off. */
  mode: PagingModeName | 'none';
  /** Physical address of the top-level table. */
  root: Hex;
  /** Set when CR4.PCIDE. */
  pcid?: number;
  /** Set when the vCPU's control registers cannot be read (a core without QEMU's CPU note): `mode` is then `none`. */
  unavailable?: string;
}

export interface RootsResult {
  roots: RootInfo[];
  /** The launch configuration's pagingMode/root, when it overrides the registers. */
  configured?: { mode: PagingModeName; root: Hex };
  /** What the target is, in a few words (`QEMU gdbstub 127.0.0.1:1234`, `ELF core guest.core`). */
  target: string;
  /** Whether memory can be written (false for dumps). */
  writable: boolean;
}

// ---- hyperframe/pageTable ----

export interface PageTableArgs {
  mode: PagingModeName;
  /** Physical address of the table (4 KiB aligned; a PAE PDPT 32-byte aligned). */
  table: AddressArg;
  /** Default: the mode's top level. */
  level?: number;
  /** First VA the table covers (default 0: right for a root). */
  baseVa?: AddressArg;
  /** The hierarchy's root, to flag recursive slots that point at it. */
  root?: AddressArg;
  /** Also list entries that are 0 (default: only non-zero ones). */
  all?: boolean;
}

export interface PageTableResult {
  mode: PagingModeName;
  level: number;
  table: Hex;
  /** Entries in the table (512, 1024 for legacy32, 4 for a PAE PDPT). */
  count: number;
  entryBytes: number;
  /** Bytes of VA one entry covers. */
  coverage: Hex;
  entries: TableEntry[];
  /** Whose IA32_PAT `memoryType` assumes: the reset value unless the target knows the guest's. */
  patSource: 'reset' | 'guest';
}

// ---- hyperframe/frame ----

export interface FrameArgs {
  /** Exactly one of `pa` and `mfn` (`pa = mfn << 12`). */
  pa?: AddressArg;
  mfn?: AddressArg;
  /** 1..MAX_FRAME_BYTES, default 4096. */
  bytes?: number;
  /** Decode the bytes as a table's entries (every slot, zeros included). */
  asTable?: { mode: PagingModeName; level?: number; baseVa?: AddressArg };
}

export interface FrameResult {
  pa: Hex;
  bytes: number;
  /** The bytes, base64. */
  data: string;
  entries?: TableEntry[];
}

export const MAX_FRAME_BYTES = 1 << 20;

// ---- hyperframe/translate ----

export interface TranslateArgs {
  va: AddressArg;
  /** Whose tables (default: the vCPU in focus); or `mode` + `root` for any hierarchy. */
  vcpu?: number;
  mode?: PagingModeName;
  root?: AddressArg;
}

export interface WalkStepInfo {
  level: number;
  /** Physical address of the table, the index in it, and of the entry. */
  table: Hex;
  index: number;
  entryPa: Hex;
  entry: EntryInfo;
}

export interface TranslateResult {
  va: Hex;
  /** Set when the walk used a vCPU's registers. */
  vcpu?: number;
  mode: PagingModeName;
  root: Hex;
  steps: WalkStepInfo[];
  /** Set when the walk reached a page. */
  pa?: Hex;
  pageSize?: number;
  /** Effective rights over every level, as `R W X U G` with `-` for absent ones. */
  flags?: string;
  memoryType?: string;
  /** Set when the walk stopped short: where and why. */
  fault?: { reason: string; level?: number; message: string };
  /** Where the leaf entry itself can be read through a recursive slot of this hierarchy, when it has one. */
  entryVa?: Hex;
  /** Set when `va` lies inside a recursive slot's window: it names a paging-structure entry, not data. */
  insideSelfMap?: { slotVa: Hex; level: number };
}

// ---- hyperframe/resolve ----

/** An expression of the Debug Console's language (numbers, symbols, registers, arithmetic) to a value. */
export interface ResolveArgs {
  expression: string;
  vcpu?: number;
}

export interface ResolveResult {
  value: Hex;
  /** The symbol the value is or lies in, `name+0x10`, when one does. */
  symbol?: string;
}

// ---- hyperframe/mappings ----

export interface MappingsArgs {
  /** Whose tables (default: the vCPU in focus); or `mode` + `root` for any hierarchy. */
  vcpu?: number;
  mode?: PagingModeName;
  root?: AddressArg;
  /** A VA window [from, to). */
  from?: AddressArg;
  to?: AddressArg;
  /** List every page too. */
  leaves?: boolean;
  /** Default and cap 200000. */
  maxLeaves?: number;
  /** Ranges also contiguous in PA and of one page size (default: merged by VA, rights, G and memory type). */
  splitPa?: boolean;
  /** Keep pages that are all of these: `w`, `x`, `ro`, `u`, `s`, `wb`, `uc`. */
  filter?: string[];
  /** Only the range (and page) holding this VA. */
  has?: AddressArg;
  /** Every page mapping this PA (the reverse map); implies `leaves`. */
  findAlias?: AddressArg;
  /** The guest's IA32_PAT for memory types (default: its reset value). */
  pat?: AddressArg;
  /** Walk shared subtrees again however often they are reached. */
  expandShared?: boolean;
  /**
   * Entries this walk may still visit again in shared subtrees (default 2^24): a walk read in pages
   * passes on what the pages before it left (`rewalkedEntries` of each answer).
   */
  sharedRewalkBudget?: number;
}

/** A memory type from PAT/PCD/PWT under IA32_PAT. */
export type MemoryTypeName = 'WB' | 'WT' | 'UC-' | 'UC' | 'WC' | 'WP';

export interface RangeInfo {
  va: Hex;
  /** The first page's PA. */
  pa: Hex;
  size: number;
  /** The first page's size. */
  pageSize: number;
  /** Pages (leaf entries) in the range. */
  pages: number;
  flags: string;
  /** Without `splitPa`: the memory type, how many physically contiguous runs the range's pages make, and (mixed sizes) the pages of each size. */
  memoryType?: MemoryTypeName;
  paRuns?: number;
  pageSizes?: { pageSize: number; pages: number }[];
}

export interface LeafInfo {
  va: Hex;
  pa: Hex;
  size: number;
  entry: Hex;
  level: number;
  flags: string;
}

export interface MappingsResult {
  mode: PagingModeName;
  root: Hex;
  /** How guest RAM was read (without `splitPa`): `QEMU guest RAM via shared file …`. */
  physicalMemory?: string;
  /** The IA32_PAT the memory types assume (without `splitPa`). */
  pat?: { value: Hex; source: string };
  leaves?: LeafInfo[];
  ranges: RangeInfo[];
  selfMaps: { va: Hex; size: number; entry: Hex; level: number; target: Hex; targetLevel: number }[];
  /** `notWalked`: bytes of VA from `va` not walked again (the re-walk budget was spent). */
  sharedTables: { va: Hex; level: number; table: Hex; firstVa: Hex; notWalked?: number }[];
  faults: { va: Hex; size: number; level: number; entry: Hex; message: string }[];
  unreadable: { va: Hex; size: number; level: number; table: Hex; message: string }[];
  /** Entries visited again in shared subtrees, and the subtrees left unwalked once the budget was spent. */
  rewalkedEntries: number;
  sharedNotWalked: number;
  /** Set when `maxLeaves` cut the walk: pass `next` as `from` to go on. */
  truncated?: boolean;
  next?: Hex;
}

// ---- the map ----

/** Every custom request: its arguments and its result (the Xen ones in xenRequests.ts). */
export interface HyperFrameRequests extends XenRequests {
  'hyperframe/roots': { args: Record<string, never>; result: RootsResult };
  'hyperframe/pageTable': { args: PageTableArgs; result: PageTableResult };
  'hyperframe/frame': { args: FrameArgs; result: FrameResult };
  'hyperframe/translate': { args: TranslateArgs; result: TranslateResult };
  'hyperframe/resolve': { args: ResolveArgs; result: ResolveResult };
  'hyperframe/mappings': { args: MappingsArgs; result: MappingsResult };
}

export type RequestName = keyof HyperFrameRequests;
export type ArgsOf<K extends RequestName> = HyperFrameRequests[K]['args'];
export type ResultOf<K extends RequestName> = HyperFrameRequests[K]['result'];

export const REQUEST_NAMES: readonly RequestName[] = [
  'hyperframe/roots',
  'hyperframe/pageTable',
  'hyperframe/frame',
  'hyperframe/translate',
  'hyperframe/resolve',
  'hyperframe/mappings',
  ...XEN_REQUEST_NAMES,
];

export function isRequestName(command: string): command is RequestName {
  return (REQUEST_NAMES as readonly string[]).includes(command);
}

// ---- errors ----

/**
 * The `body.error.id` of a failed response, by cause, so that a client can tell "the target runs"
 * from a bad argument without reading the message. 1 is anything unexpected.
 */
export const ERROR_IDS: Readonly<Record<ErrorCode, number>> = {
  BAD_NUMBER: 2001,
  BAD_ARGUMENT: 2002,
  OUT_OF_RANGE: 2003,
  BAD_FILE: 2004,
  PROTOCOL: 2005,
  TARGET: 2006,
  TIMEOUT: 2007,
  DISCONNECTED: 2008,
  RUNNING: 2009,
  NOT_ATTACHED: 2010,
};

export const UNEXPECTED_ERROR_ID = 1;

export function errorCodeOfId(id: number): ErrorCode | undefined {
  return (Object.keys(ERROR_IDS) as ErrorCode[]).find((k) => ERROR_IDS[k] === id);
}
