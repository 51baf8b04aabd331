// The seams between the desktop core's parts, so each can be built and tested alone and the
// composition root (core/app.ts) wires them. Everything Electron-specific is injected through the
// small interfaces at the bottom; nothing under electron/core imports 'electron'.
import type { SyncChange } from '../../shared/schemas/index.ts';

export interface ApplyOptions {
  more?: boolean;
}

/** What the sync engine writes into (the sql.js cache implements it). */
export interface SyncStore {
  /** The last server cursor applied; 0 for an empty cache. */
  cursor(): number;
  /**
   * Applies one /api/sync page atomically and records its cursor. `more`: the sync engine is
   * catching up and the next page follows at once (the store may put off persisting until then).
   */
  applyChanges(changes: readonly SyncChange[], cursor: number, options?: ApplyOptions): void;
  /** Work for changes about to be applied that can be done off the event loop first (the cache encodes requests). */
  prepare?(changes: readonly SyncChange[]): Promise<void>;
  /** Forgets everything synced (the server's data dir changed under us, or a rebuild). */
  reset(): void;
  /** The identity of the server the synced data came from (kept until reset). */
  serverId(): string | undefined;
  setServerId(id: string): void;
}

export type { ConnectionState, ConnectionStatus } from '../../shared/desktop/status.ts';

/** An OS notification surface (Electron's Notification in main; a fake in tests). */
export interface NotificationSink {
  show(n: { id: string; title: string; body: string; urgent?: boolean }): void;
  /** Withdraws a shown notification (its request was decided). */
  close(id: string): void;
}

/** Where the API token lives: Electron's safeStorage on the desktop; a 0600 file in web mode. */
export interface SecretStore {
  get(): Promise<string | undefined>;
  set(token: string | undefined): Promise<void>;
}
