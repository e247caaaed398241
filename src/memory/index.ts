// The public face of memory/: physical-memory sources and the per-stop cache.
export type { PhysMem, WritablePhysMem } from './physMem';
export { RawImage, openRawImage, type RawImageOptions } from './rawImage';
export { ElfCore, openElfCore, type CoreSegment } from './elfCore';
export type { CoreVcpu } from './coreCpu';
export type { ElfNote } from './elfNotes';
export type { ElfClass } from '../elf/header';
export type { ElfMachine } from './elfHeaders';
export { PageCache, FRAME_BYTES, type PageCacheOptions, type PageCacheStats } from './pageCache';
export { openDump, type Dump, type OpenDumpOptions } from './openDump';
export { formatBytes } from './format';
