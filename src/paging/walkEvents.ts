import type { Permissions } from './translate';
import type { DecodedEntry } from './types';

/** A page the tables map. */
export interface LeafEvent {
  kind: 'leaf';
  va: bigint;
  pa: bigint;
  size: bigint;
  level: number;
  /** Physical address of the leaf entry itself. */
  entryPa: bigint;
  entry: DecodedEntry;
  perms: Permissions;
}

/**
 * An entry that points at a paging-structure frame of this hierarchy used elsewhere at another
 * level: a recursive (self-map) slot. The walk reports it and does not descend.
 */
export interface SelfMapEvent {
  kind: 'selfMap';
  va: bigint;
  size: bigint;
  level: number;
  entryPa: bigint;
  entry: DecodedEntry;
  targetPa: bigint;
  /** Level at which the target frame serves elsewhere in the hierarchy. */
  targetLevel: number;
}

/** A table reached from a second entry at the same level (Linux espfix, Xen's shared L3s). */
export interface SharedTableEvent {
  kind: 'shared';
  va: bigint;
  level: number;
  tablePa: bigint;
  /** VA under which the walk first reached this table. */
  firstVa: bigint;
  /**
   * Set when the walk did not walk this table's subtree again (its budget for walking shared
   * tables again was spent): the bytes of VA from `va` whose pages it does not list. They map
   * what the subtree maps under `firstVa`, with this path's rights.
   */
  notWalked?: bigint;
}

/** A present entry the MMU would fault on (reserved bits, EPT misconfiguration): not descended. */
export interface BadEntryEvent {
  kind: 'bad';
  va: bigint;
  size: bigint;
  level: number;
  entryPa: bigint;
  entry: DecodedEntry;
  message: string;
}

/** A table the source could not read (outside a dump's segments, a stub error): skipped. */
export interface UnreadableEvent {
  kind: 'unreadable';
  va: bigint;
  size: bigint;
  /** Level of the table that could not be read. */
  level: number;
  tablePa: bigint;
  message: string;
}

export type WalkEvent = LeafEvent | SelfMapEvent | SharedTableEvent | BadEntryEvent | UnreadableEvent;
