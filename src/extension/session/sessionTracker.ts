import * as vscode from 'vscode';
import { applyAdapterMessage, initialSnapshot, type SessionSnapshot } from './sessionState';
import { DEBUG_TYPE, SessionClient } from './sessionClient';

export interface TrackedSession {
  client: SessionClient;
  snapshot: SessionSnapshot;
}

export interface MemoryChange {
  session: TrackedSession;
  memoryReference: string;
  offset: number;
  count: number;
}

/**
 * Every live HyperFrame debug session and its run state, from the messages its adapter sends
 * (a DebugAdapterTracker): stops, runs, memory writes and ends. Views subscribe here instead of
 * each watching VS Code's debug API on its own.
 */
export class SessionTracker implements vscode.Disposable {
  private readonly sessions = new Map<string, TrackedSession>();
  private readonly stateEmitter = new vscode.EventEmitter<TrackedSession>();
  private readonly memoryEmitter = new vscode.EventEmitter<MemoryChange>();
  private readonly listEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];

  /** A session stopped, started running, or ended. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Memory was written (by any view, the Debug Console, VS Code's hex view). */
  readonly onDidChangeMemory = this.memoryEmitter.event;
  /** A session came or went. */
  readonly onDidChangeSessions = this.listEmitter.event;

  constructor() {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => {
          const tracked = this.track(session);
          return {
            onDidSendMessage: (message: unknown) => this.onMessage(tracked, message),
            onExit: () => this.end(tracked),
          };
        },
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        const t = this.sessions.get(s.id);
        if (t) this.end(t);
      }),
      vscode.debug.onDidChangeActiveDebugSession(() => this.listEmitter.fire()),
      this.stateEmitter,
      this.memoryEmitter,
      this.listEmitter,
    );
  }

  /** Live sessions, the active one first. */
  all(): TrackedSession[] {
    const activeId = vscode.debug.activeDebugSession?.id;
    return [...this.sessions.values()].sort((a, b) => Number(b.client.id === activeId) - Number(a.client.id === activeId));
  }

  get(sessionId: string): TrackedSession | undefined {
    return this.sessions.get(sessionId);
  }

  /** The active HyperFrame session, else the only one, else undefined. */
  active(): TrackedSession | undefined {
    const id = vscode.debug.activeDebugSession?.id;
    return (id ? this.sessions.get(id) : undefined) ?? (this.sessions.size === 1 ? [...this.sessions.values()][0] : undefined);
  }

  private track(session: vscode.DebugSession): TrackedSession {
    const t: TrackedSession = { client: new SessionClient(session), snapshot: initialSnapshot() };
    this.sessions.set(session.id, t);
    this.listEmitter.fire();
    return t;
  }

  private onMessage(t: TrackedSession, message: unknown): void {
    const change = applyAdapterMessage(t.snapshot, message);
    if (!change) return;
    if (change.kind === 'state') {
      if (t.snapshot.state === 'ended') this.end(t);
      else this.stateEmitter.fire(t);
    } else if (change.kind === 'memory') {
      this.memoryEmitter.fire({ session: t, memoryReference: change.memoryReference, offset: change.offset, count: change.count });
    } else {
      // Registers changed (setVariable, a console command): CR3 may differ; views re-read as after a stop.
      this.stateEmitter.fire(t);
    }
  }

  private end(t: TrackedSession): void {
    if (!this.sessions.has(t.client.id)) return;
    t.snapshot.state = 'ended';
    this.sessions.delete(t.client.id);
    this.stateEmitter.fire(t);
    this.listEmitter.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
