import { type ErrorCode, HyperFrameError } from '../util/errors';

/** A write the target refused part-way: the first `bytesWritten` bytes landed, the rest did not. */
export class PartialWriteError extends HyperFrameError {
  constructor(
    code: ErrorCode,
    readonly bytesWritten: number,
    message: string,
  ) {
    super(code, message);
    this.name = 'PartialWriteError';
  }
}
