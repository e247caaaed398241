/** Talking to the extension host: messages out, and requests whose replies come back by id. */
import type { FromWebview, HostReply } from '../../src/shared/frameProtocol';

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
export const vscode = acquireVsCodeApi();

let nextId = 1;
const pending = new Map<number, (r: HostReply) => void>();
type Request = Extract<FromWebview, { id: number }>;
/** A request without its id (Omit over the union, member by member). */
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;
export function request(m: RequestBody): Promise<HostReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    vscode.postMessage({ ...m, id } as FromWebview);
  });
}

/** A reply from the host, to the request with its id. */
export function answer(m: HostReply): void {
  pending.get(m.id)?.(m);
  pending.delete(m.id);
}
