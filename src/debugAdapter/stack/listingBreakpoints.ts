/**
 * setBreakpoints in a frame's disassembly listing (listings.ts): each line is the instruction
 * it shows, and the breakpoints of one listing are instruction breakpoints of their own set
 * (breakpointTable.ts), with the same conditions, hit counts and modes. A real source file has
 * no line information: its breakpoints stay unverified.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { NO_LINE_INFO, type BreakpointTable } from '../breakpointTable';
import type { Listings } from './listings';

/** The listing `args.source` names, or undefined when it names a real source file. */
export function listingOfArgs(sources: Listings | undefined, args: DebugProtocol.SetBreakpointsArguments): number | undefined {
  return sources?.listingOf(args.source);
}

/** The breakpoints of a source that is not one of our listings. */
export function unverifiedBreakpoints(args: DebugProtocol.SetBreakpointsArguments): DebugProtocol.Breakpoint[] {
  const list = args.breakpoints ?? args.lines?.map((line) => ({ line })) ?? [];
  return list.map(() => ({ verified: false, message: NO_LINE_INFO }));
}

/**
 * Replaces the breakpoints of listing `handle` with those of `args`. The answer names each one by
 * its listing's own source (the URI VS Code keeps it under) at the client's line, and a verified
 * one by what it stops at: `spin_func+0x4 (0x100c44)`, which VS Code shows in the Breakpoints view
 * and the gutter's hover instead of the listing's URI.
 */
export async function setListingBreakpoints(
  table: BreakpointTable,
  sources: Listings,
  handle: number,
  args: DebugProtocol.SetBreakpointsArguments,
  /** A client's line as the listing counts it (from 1). */
  toDebuggerLine: (line: number) => number,
): Promise<DebugProtocol.Breakpoint[]> {
  const list: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? args.lines?.map((line) => ({ line })) ?? [];
  const source = sources.source(handle);
  const specs = list.map((bp) => {
    const line = toDebuggerLine(bp.line);
    const resolve = (): bigint => sources.addressAtLine(handle, line);
    let label = `${source.name}:${line}`;
    try {
      label = sources.addressName(resolve());
    } catch {
      // Not an instruction line: the table says why when it resolves it.
    }
    return { resolve, label, condition: bp.condition, hitCondition: bp.hitCondition, mode: bp.mode };
  });
  const out = await table.setListingBreakpoints(handle, specs);
  // The client's own line back: VS Code moves a breakpoint to the line it is answered with.
  return out.map((bp, i) => ({
    ...bp,
    source,
    line: list[i].line,
    ...(bp.verified && bp.instructionReference ? { message: `${specs[i].label} (${bp.instructionReference})` } : {}),
  }));
}
