/** The gdb-remote client: plain Node, no editor imports. */
export { GdbClient } from './client';
export type { GdbClientOptions } from './client';
export { GdbConnection } from './connection';
export type { ConnectionCounters, ConnectionEvents, ConnectionOptions, RequestKind, RequestOptions } from './connection';
export { PacketDecoder, checksum, decodeBody, encodePacket, escapePayload, bytesToHex, hexToBytes, leHexToBigInt, bigIntToLeHex } from './codec';
export { StubError, classifyReply, describeStop, formatThreadId, parseStopReply, parseThreadId } from './replies';
export type { Reply, StopReason, StopReply, ThreadId } from './replies';
export { RegisterLayout, fallbackLayout } from './registers';
export type { RegisterSlot } from './registers';
export type { RegisterInfo, TargetDescription } from './targetXml';
export type { ThreadInfo } from './threads';
export type { ResumeOptions } from './runControl';
export type { Breakpoint, BreakpointType } from './breakpoints';
export type { MonitorOptions } from './monitor';
export type { StubFeatures } from './negotiation';
export { StubPhysMem } from './qemu';
export type { AddressMode, PhysicalAccess } from './qemu';
