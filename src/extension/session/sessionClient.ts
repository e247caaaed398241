import type * as vscode from 'vscode';
import type { ArgsOf, RequestName, ResultOf } from '../../shared/dapRequests';

export const DEBUG_TYPE = 'hyperframe';

export interface MemoryRead {
  /** Address of the first byte, as the adapter says it. */
  address: string;
  data: Uint8Array;
  /** Bytes past `data` that could not be read. */
  unreadableBytes: number;
}

/**
 * The one way the extension talks to a HyperFrame debug session: typed `hyperframe/*` requests
 * (shared/dapRequests.ts) and DAP memory reads and writes. The views never see the session itself.
 */
export class SessionClient {
  constructor(readonly session: vscode.DebugSession) {}

  get id(): string {
    return this.session.id;
  }

  get name(): string {
    return this.session.name;
  }

  request<K extends RequestName>(command: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    return Promise.resolve(this.session.customRequest(command, args) as Thenable<ResultOf<K>>);
  }

  async readMemory(memoryReference: string, offset: number, count: number): Promise<MemoryRead> {
    const r = (await this.session.customRequest('readMemory', { memoryReference, offset, count })) as { address: string; data?: string; unreadableBytes?: number } | undefined;
    return {
      address: r?.address ?? memoryReference,
      data: r?.data ? new Uint8Array(Buffer.from(r.data, 'base64')) : new Uint8Array(0),
      unreadableBytes: r?.unreadableBytes ?? 0,
    };
  }

  /** Writes `data`; resolves with the bytes written (fewer only with `allowPartial`). */
  async writeMemory(memoryReference: string, offset: number, data: Uint8Array, allowPartial = false): Promise<number> {
    const r = (await this.session.customRequest('writeMemory', {
      memoryReference,
      offset,
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      allowPartial,
    })) as { bytesWritten?: number } | undefined;
    return r?.bytesWritten ?? data.length;
  }

  /** A Debug Console command or an expression, as its text. */
  async evaluate(expression: string, context: 'repl' | 'watch' | 'hover' = 'repl'): Promise<string> {
    const r = (await this.session.customRequest('evaluate', { expression, context })) as { result?: string } | undefined;
    return r?.result ?? '';
  }
}
