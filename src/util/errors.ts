/**
 * One error type for everything the engine reports to a user: a stable `code` that callers
 * (CLI exit status, DAP error replies) can switch on, and a message that reads as one clear line.
 */
export type ErrorCode =
  | 'BAD_NUMBER' // a number the user typed does not parse
  | 'BAD_ARGUMENT' // an option or value is not one we accept
  | 'OUT_OF_RANGE' // a physical read outside every source segment
  | 'BAD_FILE' // a dump that is missing, truncated or not what it claims
  | 'PROTOCOL' // a gdb-remote peer said something we cannot parse
  | 'TARGET' // the target refused (E NN) or does not support a request
  | 'TIMEOUT' // a request got no answer in time
  | 'DISCONNECTED' // the connection to the stub is gone
  | 'RUNNING' // the request needs a stopped target and it runs
  | 'NOT_ATTACHED'; // the debug session has no target yet

export class HyperFrameError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HyperFrameError';
  }
}

export function isHyperFrameError(e: unknown): e is HyperFrameError {
  return e instanceof HyperFrameError;
}
