import * as vscode from 'vscode';
import { trustNeededFor } from '../../shared/launchTrust';
import { DEBUG_TYPE } from '../session/sessionClient';

/** VS Code's "View Binary Data" opens memory in this extension, or tries to download it. */
const HEX_EDITOR_ID = 'ms-vscode.hexeditor';

/**
 * Fills in what a HyperFrame configuration leaves to the extension: F5 without a launch.json
 * attaches to QEMU's default stub (`-s`, port 1234), and the adapter learns whether VS Code can
 * show memory itself, so that "View Binary Data" is offered only where it works.
 */
export class HyperFrameConfigurations implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration {
    if (!config.type && !config.request && !config.name) {
      config = { type: DEBUG_TYPE, request: 'attach', name: 'Attach to QEMU (127.0.0.1:1234)', host: '127.0.0.1', port: 1234 };
    }
    if (config.viewBinaryData === undefined) config.viewBinaryData = vscode.extensions.getExtension(HEX_EDITOR_ID) !== undefined;
    return config;
  }

  /** Last look before the session starts: in Restricted Mode, nothing that spawns or reads the host. */
  resolveDebugConfigurationWithSubstitutedVariables(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    const why = vscode.workspace.isTrusted ? undefined : trustNeededFor(config);
    if (!why) return config;
    const manage = 'Manage Workspace Trust';
    void vscode.window.showErrorMessage(`HyperFrame: '${config.name}' needs a trusted workspace: ${why}.`, manage).then((pick) => {
      if (pick === manage) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return undefined; // cancels the session without opening launch.json
  }
}

interface VariableMenuArg {
  sessionId?: string;
  variable?: { name?: string; value?: string; memoryReference?: string };
}

/** "Open Frame" on a register or value that holds an address: the frame it lands in, in HyperFrame's editor. */
export function openVariableFrame(arg: VariableMenuArg): Thenable<unknown> {
  const ref = arg.variable?.memoryReference;
  if (!ref) return vscode.window.showWarningMessage('HyperFrame: this value is not an address.');
  return vscode.commands.executeCommand('hyperframe.openMemoryReference', { sessionId: arg.sessionId, memoryReference: ref, label: arg.variable?.name });
}
