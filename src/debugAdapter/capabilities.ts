import type { DebugProtocol } from '@vscode/debugprotocol';
import { BREAKPOINT_MODES } from './breakpointTable';

/** What the adapter answers to `initialize`: the DAP features a client may use with it. */
export const ADAPTER_CAPABILITIES: DebugProtocol.Capabilities = {
  supportsConfigurationDoneRequest: true,
  supportsInstructionBreakpoints: true,
  supportsFunctionBreakpoints: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsDataBreakpoints: true,
  supportsDataBreakpointBytes: true,
  supportsReadMemoryRequest: true,
  supportsWriteMemoryRequest: true,
  supportsDisassembleRequest: true,
  supportsSteppingGranularity: true,
  supportsEvaluateForHovers: true,
  supportsSetVariable: true,
  supportsTerminateRequest: true,
    supportTerminateDebuggee: true,
    supportSuspendDebuggee: true,
  breakpointModes: BREAKPOINT_MODES,
};
