import type { PagingMode } from './modes';

/** What an entry does in the walk. */
export type EntryKind = 'table' | 'page' | 'not-present';

/**
 * Fields under their SDM names. Values are 0/1 bits, or numbers for multi-bit fields
 * (AVL, PK, EPT's MT). A field is absent where the format has no such field.
 */
export interface EntryFields {
  P?: 0 | 1;
  RW?: 0 | 1;
  US?: 0 | 1;
  PWT?: 0 | 1;
  PCD?: 0 | 1;
  A?: 0 | 1;
  D?: 0 | 1;
  PS?: 0 | 1;
  G?: 0 | 1;
  PAT?: 0 | 1;
  /** Bits 11:9, ignored by the CPU and free for software. */
  AVL?: number;
  /** Bits 62:52 (58:52 when PK is in use) of 64-bit entries: ignored, free for software. */
  AVL_HI?: number;
  PK?: number;
  XD?: 0 | 1;
  // EPT
  R?: 0 | 1;
  W?: 0 | 1;
  X?: 0 | 1;
  XU?: 0 | 1;
  MT?: number;
  IPAT?: 0 | 1;
  SVE?: 0 | 1;
}

export interface DecodedEntry {
  raw: bigint;
  mode: PagingMode;
  level: number;
  kind: EntryKind;
  /** Physical address of the next table, or of the page this entry maps. */
  address: bigint;
  /** Bytes mapped when `kind` is 'page'. */
  pageSize?: bigint;
  fields: EntryFields;
  /** Reserved bits found set (a walk through this entry faults with RSVD). 0n when none. */
  reserved: bigint;
  /** Why the entry is invalid beyond reserved bits (EPT misconfigurations). */
  problems: string[];
}

