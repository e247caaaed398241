// Entry of the debug adapter (dist/debugAdapter.js): DAP over stdin/stdout, or `--server=PORT`.
import { DebugSession } from '@vscode/debugadapter';
import { HyperFrameSession } from './session';

DebugSession.run(HyperFrameSession);
