import type { PhysMem } from '../memory/physMem';
import { decodeEntry } from './entry';
import { canonicalize, entryCoverage, indexAt, isCanonical } from './modes';
import { type PagingSpec, resolveSpec } from './spec';
import { TableReader } from './tables';
import type { DecodedEntry } from './types';

/** One level of a walk: where the entry was and what it said. */
export interface WalkStep {
  level: number;
  tablePa: bigint;
  index: number;
  entryPa: bigint;
  entry: DecodedEntry;
}

/** Access rights combined over every level of the walk (SDM 4.6). */
export interface Permissions {
  /** Writable: RW set at every level (EPT: W). */
  write: boolean;
  /** User-accessible: US set at every level (EPT: always true). */
  user: boolean;
  /** Executable: XD clear at every level (EPT: X set at every level). */
  exec: boolean;
  /** EPT: R set at every level; paging: always true. */
  read: boolean;
}

export type StopReason = 'not-present' | 'reserved' | 'non-canonical' | 'misconfigured' | 'unreadable';

export interface Translation {
  va: bigint;
  steps: WalkStep[];
  /** Set when the walk reached a page. */
  pa?: bigint;
  pageSize?: bigint;
  /** Base of the page (VA), set with `pa`. */
  pageVa?: bigint;
  perms?: Permissions;
  /** Set when the walk stopped short: where and why. */
  fault?: { reason: StopReason; level?: number; message: string; /** What the memory source threw, for 'unreadable'. */ cause?: unknown };
}

export const FULL_PERMS: Permissions = { read: true, write: true, user: true, exec: true };

/** Folds one entry's rights into those accumulated over the levels above it. */
export function combinePerms(p: Permissions, e: DecodedEntry): Permissions {
  const f = e.fields;
  if (e.mode === 'ept') {
    return { read: p.read && f.R === 1, write: p.write && f.W === 1, exec: p.exec && f.X === 1, user: p.user };
  }
  return {
    read: p.read,
    write: p.write && f.RW !== 0, // PAE PDPTEs have no RW: undefined means "allows"
    user: p.user && f.US !== 0,
    exec: p.exec && f.XD !== 1,
  };
}

/** Walks `va` through the tables of `spec`, recording every step, as the MMU would. */
export async function translate(va: bigint, spec: PagingSpec, mem: PhysMem | TableReader): Promise<Translation> {
  const s = resolveSpec(spec);
  const reader = mem instanceof TableReader ? mem : new TableReader(mem, s.mode);
  const steps: WalkStep[] = [];
  if (!isCanonical(s.mode, va, s.eptLevels)) {
    const width = s.geo.vaBits;
    return {
      va,
      steps,
      fault: {
        reason: 'non-canonical',
        message:
          s.mode === 'long4' || s.mode === 'long5'
            ? `0x${va.toString(16)} is not canonical: bits 63:${width - 1} must all equal bit ${width - 1}`
            : `0x${va.toString(16)} is outside the ${width}-bit address space of ${s.mode}`,
      },
    };
  }
  let tablePa = s.root;
  let perms = FULL_PERMS;
  for (let level = s.geo.topLevel; level >= 1; level--) {
    const index = indexAt(s.mode, level, va);
    let raw: bigint;
    try {
      raw = await reader.entry(tablePa, level, index);
    } catch (cause) {
      // A table the source cannot give (outside a dump, an EPT violation): stop here, keeping
      // the steps so far, rather than losing the whole walk.
      const why = cause instanceof Error ? cause.message : String(cause);
      return { va, steps, fault: { reason: 'unreadable', level, message: `level-${level} table at 0x${tablePa.toString(16)} cannot be read: ${why}`, cause } };
    }
    const entry = decodeEntry(raw, s.mode, level, s.ctx);
    const entryPa = tablePa + BigInt(index * s.geo.entryBytes);
    steps.push({ level, tablePa, index, entryPa, entry });
    if (entry.kind === 'not-present') {
      return { va, steps, fault: { reason: 'not-present', level, message: `not present at level ${level} (entry at 0x${entryPa.toString(16)})` } };
    }
    if (entry.reserved) {
      return {
        va,
        steps,
        fault: { reason: 'reserved', level, message: `reserved bits 0x${entry.reserved.toString(16)} set at level ${level}: the walk faults (RSVD)` },
      };
    }
    if (entry.problems.length) {
      return { va, steps, fault: { reason: 'misconfigured', level, message: entry.problems.join('; ') } };
    }
    perms = combinePerms(perms, entry);
    if (entry.kind === 'page') {
      const size = entry.pageSize ?? entryCoverage(s.mode, level);
      const offset = va & (size - 1n);
      return { va, steps, pa: entry.address + offset, pageSize: size, pageVa: canonicalize(s.mode, va - offset), perms };
    }
    tablePa = entry.address;
  }
  // Level 1 entries are always pages or not present, so the loop returns before here.
  throw new Error('unreachable: walk ended without a leaf');
}
