// The narrow interface between the server and its database. Routes and services see only this;
// the SQLite implementation (embedded default) and a PostgreSQL one (for teams that outgrow one
// server) both fit behind it, which is why every method is async even where SQLite is not.
import type {
  ApiToken,
  ApprovalRequest,
  AuditCheckpoint,
  AuditEvent,
  BreakGlassSession,
  Environment,
  RequestStatus,
  SyncChange,
  SyncEntity,
  User,
  Action,
  EntityTypes,
  Channel,
  Delivery,
  OrgSettings,
  Preferences,
  GitHubLink,
} from '../../shared/schemas/index.ts';

/** A channel as stored: with its secret and its whole URL, which the API never shows again. */
export type StoredChannel = Omit<Channel, 'hasSecret'> & { secret?: string };

/** A delivery as queued: `body` is what is sent, made once so every retry sends the same bytes. */
export interface StoredDelivery extends Delivery {
  body: string;
  /** Retries stop 24 h after this (queued, or redelivered). */
  windowStart: string;
}

export type DeliveryUpdate = Pick<StoredDelivery, 'status' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'deliveredAt'> & {
  windowStart?: string;
  /** Being sent now, by this process; `nextAttemptAt` is then when the lease ends. */
  leased?: boolean;
};

/** A GitHub deployment waiting on a request (server/github): where its verdict and progress go. */
export interface GitHubDeployment {
  requestId: string;
  repository: string;
  installationId: number;
  callbackUrl: string;
  environmentName: string;
  /** Progress reports queued so far: GitHub keeps at most 10 per run, the verdict included. */
  reports: number;
  /** The verdict is queued: nothing more is said. */
  settled: boolean;
}

/** One post to a run's deployment protection rule callback, queued durably and retried until GitHub takes it. */
export interface GitHubCallback {
  id: string;
  /** Absent for a deployment refused before any request existed (a locked environment, an unlinked repository). */
  requestId?: string;
  installationId: number;
  url: string;
  /** The JSON posted: {environment_name, state?, comment}; made once, so every retry sends the same. */
  body: string;
  /** A verdict (with `state`), not a progress report. */
  verdict: boolean;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError?: string;
  createdAt: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  /** Being sent now; `nextAttemptAt` is then when the lease ends. */
  leased?: boolean;
}

/** What an approved gated request does besides being approved (freeze, unfreeze, …). */
export type Effect =
  | { type: 'freeze'; environmentId: string; reason: string; until?: string }
  | { type: 'unfreeze'; environmentId: string; reason?: string }
  | { type: 'environment.update'; environmentId: string; patch: { protection?: Environment['protection']; reviewers?: Environment['reviewers'] } }
  | { type: 'breakglass'; reason: string; scope: BreakGlassSession['scope']; durationMinutes: number };

export interface RequestFilter {
  status?: RequestStatus;
  action?: Action;
  environmentId?: string;
  projectId?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface IdempotentRecord {
  fingerprint: string;
  status: number;
  body: string;
  createdAt: string;
}

export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash' | 'breakGlass'>;

export interface StoreReader {
  get<E extends SyncEntity>(entity: E, id: string): Promise<EntityTypes[E] | undefined>;
  /** Every live entity of a kind, in creation order. Not for requests (use listRequests). */
  list<E extends Exclude<SyncEntity, 'request'>>(entity: E): Promise<EntityTypes[E][]>;
  /** The token with this SHA-256 and its user, whatever their state (the caller judges expiry and deactivation). */
  tokenByHash(hash: Buffer): Promise<{ token: ApiToken; user: User } | undefined>;
  getToken(id: string): Promise<ApiToken | undefined>;
  /** A user's tokens, oldest first. */
  listTokens(userId: string): Promise<ApiToken[]>;
  userByEmail(email: string): Promise<User | undefined>;
  listRequests(filter: RequestFilter): Promise<{ requests: ApprovalRequest[]; nextCursor: string | null }>;
  requestEffect(id: string): Promise<Effect | undefined>;
  requestDiff(id: string): Promise<string | undefined>;
  sessionsOf(userId: string): Promise<BreakGlassSession[]>;
  activeSessions(now: Date): Promise<BreakGlassSession[]>;
  idempotent(userId: string, key: string): Promise<IdempotentRecord | undefined>;
  syncPage(cursor: number, limit: number): Promise<{ changes: SyncChange[]; cursor: number; hasMore: boolean }>;
  currentSeq(): Promise<number>;
  /** This database's identity, made when it was created. */
  instanceId(): Promise<string>;
  auditPage(after: number, limit: number, subject?: string): Promise<AuditEvent[]>;
  /** Newest first: the events with seq < before. */
  auditPageBefore(before: number, limit: number, subject?: string): Promise<AuditEvent[]>;
  /** The last event's seq and hash; seq 0 and the genesis hash for an empty log. */
  auditHead(): Promise<{ seq: number; hash: string }>;
  /** Signed checkpoints with seq > after, oldest first. */
  checkpoints(after: number, limit: number): Promise<AuditCheckpoint[]>;
  /** The checkpoint with the highest seq (at most `atOrBefore`), if any. */
  lastCheckpoint(atOrBefore?: number): Promise<AuditCheckpoint | undefined>;
  /**
   * Pending requests past expiry, freezes past `until`, sessions past expiry and not ended, and
   * pending requests with an escalation due (one that has not fired; its gate may have passed since).
   */
  due(now: Date): Promise<{ requestIds: string[]; environmentIds: string[]; sessionIds: string[]; escalationIds: string[] }>;
  isInitialized(): Promise<boolean>;

  // ---- notifications (server/notify) ----
  listChannels(): Promise<StoredChannel[]>;
  getChannel(id: string): Promise<StoredChannel | undefined>;
  settings(): Promise<OrgSettings>;
  preferences(userId: string): Promise<Preferences>;
  /** The last audit seq the notifier has turned into deliveries. */
  notifyCursor(): Promise<number>;
  /** The key that signs unsubscribe links, made with the database. */
  notifySecret(): Promise<string>;
  /** A channel's deliveries, newest first. */
  deliveries(channelId: string, filter: { status?: Delivery['status']; limit: number }): Promise<StoredDelivery[]>;
  getDelivery(id: string): Promise<StoredDelivery | undefined>;
  /** Pending deliveries whose next attempt is due at `now`, oldest first. */
  dueDeliveries(now: Date, limit: number): Promise<StoredDelivery[]>;
  /** Pending requests whose next reminder, or whose expiry warning, is due at `now`. */
  dueReminders(now: Date): Promise<{ reminderIds: string[]; expiringIds: string[] }>;
  /** When a request's next reminder and its expiry warning are due (null: none). */
  reminderTimes(requestId: string): Promise<{ remindAt: string | null; expiringAt: string | null } | undefined>;

  // ---- GitHub deployment protection rules (server/github) ----
  githubLinks(): Promise<GitHubLink[]>;
  githubDeployment(requestId: string): Promise<GitHubDeployment | undefined>;
  /** Whether any GitHub run still waits for its verdict. */
  hasOpenGitHubDeployments(): Promise<boolean>;
  /** The last audit seq the GitHub gate has turned into callbacks. */
  githubCursor(): Promise<number>;
  /** Pending callbacks due at `now`, oldest first. */
  dueGitHubCallbacks(now: Date, limit: number): Promise<GitHubCallback[]>;
  getGitHubCallback(id: string): Promise<GitHubCallback | undefined>;
  /** A request's callbacks, oldest first (what GitHub was told). */
  githubCallbacks(requestId: string): Promise<GitHubCallback[]>;
}

export interface StoreTx extends StoreReader {
  put<E extends SyncEntity>(entity: E, value: EntityTypes[E]): Promise<void>;
  remove(entity: Exclude<SyncEntity, 'request'>, id: string): Promise<void>;
  /** Stores a new request with its diff and effect (both immutable after creation). */
  insertRequest(request: ApprovalRequest, diff: string | undefined, effect: Effect | undefined): Promise<void>;
  addToken(token: ApiToken, hash: Buffer): Promise<void>;
  /** Deletes the token: its secret is refused from this commit on. */
  removeToken(id: string): Promise<void>;
  /** Records when a token was last used (not synced, not audited). */
  touchToken(id: string, at: Date): Promise<void>;
  /**
   * Appends to the chain. A store given a checkpoint signer also signs a checkpoint in this same
   * transaction whenever the new seq is a multiple of CHECKPOINT_EVERY (server/audit/checkpoint.ts).
   */
  appendAudit(event: NewAuditEvent): Promise<AuditEvent>;
  addCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  saveIdempotent(userId: string, key: string, record: IdempotentRecord): Promise<void>;
  pruneIdempotent(olderThan: Date): Promise<void>;

  putChannel(channel: StoredChannel): Promise<void>;
  /** Deletes the channel and its deliveries. */
  removeChannel(id: string): Promise<void>;
  putSettings(settings: OrgSettings): Promise<void>;
  putPreferences(userId: string, preferences: Preferences): Promise<void>;
  setNotifyCursor(seq: number): Promise<void>;
  insertDelivery(delivery: StoredDelivery): Promise<void>;
  updateDelivery(id: string, update: DeliveryUpdate): Promise<void>;
  setReminderTimes(requestId: string, times: { remindAt?: string | null; expiringAt?: string | null }): Promise<void>;
  putGitHubLink(link: GitHubLink): Promise<void>;
  removeGitHubLink(id: string): Promise<void>;
  putGitHubDeployment(deployment: GitHubDeployment): Promise<void>;
  setGitHubCursor(seq: number): Promise<void>;
  /** Inserts or replaces the callback with this id. */
  putGitHubCallback(callback: GitHubCallback): Promise<void>;
  /** Ends every lease (deliveries and GitHub callbacks): due now. Only for a process that knows no other holds one (one `serve` per SQLite file). */
  releaseLeases(now: Date): Promise<number>;
}

export interface Store extends StoreReader {
  /**
   * Runs `fn` as one durable transaction: all of it commits (fsync'd) or none of it does, and no
   * other mutation interleaves, so racing decisions are decided exactly once.
   */
  transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Walks the whole audit chain in seq order, in pages, without holding it all in memory; optionally only up to seq `untilSeq`. */
  auditEvents(from?: string, to?: string, untilSeq?: number): AsyncIterable<AuditEvent>;
  /** Every checkpoint in seq order (optionally only up to seq `untilSeq`), in pages. */
  allCheckpoints(untilSeq?: number): AsyncIterable<AuditCheckpoint>;
  /** Called after every commit that changed synced state, with the new sync cursor. */
  onCommit(listener: (cursor: number) => void): () => void;
  close(): Promise<void>;
}
