/**
 * Serves debug sessions on a TCP port inside the current process, one per connection: for tests
 * (DebugClient.start(port)) and for running the adapter inline without a build step.
 */
import { createServer, type AddressInfo } from 'node:net';
import { HyperFrameSession } from './session';

export interface SessionServer {
  port: number;
  close(): Promise<void>;
}

export function serveSessions(port = 0, host = '127.0.0.1'): Promise<SessionServer> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      const session = new HyperFrameSession();
      session.setRunAsServer(true);
      session.start(socket, socket);
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
