// The one IPC contract between the renderer and the desktop core: every channel with its zod
// input and output, every event main pushes. Electron's ipcMain handlers and web mode's socket
// are both registered by looping over this table; the preload exposes `invoke` and `on` typed by it.
import { z } from 'zod';
import type { HandlersOf, InputOf, OutputOf, EventPayload } from './ipc/define.ts';
import {
  Action,
  ApiToken,
  ApprovalRequest,
  AuditEvent,
  Binding,
  BreakGlassSession,
  BreakGlassVerdict,
  Cluster,
  Environment,
  GATE_KINDS,
  Id,
  IsoTime,
  Policy,
  Project,
  RequestStatus,
  Resource,
  RuleResult,
  SyncEntity,
  Team,
  User,
} from './schemas/index.ts';
import {
  AuditVerifyResponse,
  BindingResponse,
  CreatedTokenResponse,
  CreatedUserResponse,
  PolicyResponse,
  TeamResponse,
  UserResponse,
  CreateBindingBody,
  CreatePolicyBody,
  CreateTokenBody,
  CreateUserBody,
  NamedBody,
  PatchEnvironmentBody,
  PatchUserBody,
  PolicyDraft,
  Progress,
  ReviewBreakGlassBody,
} from './schemas/api.ts';
import {
  Channel,
  ChannelResponse,
  ChannelsResponse,
  CreateChannelBody,
  DeliveriesQuery,
  DeliveriesResponse,
  DeliveryResponse,
  PatchChannelBody,
  PatchPreferencesBody,
  PatchSettingsBody,
  PreferencesResponse,
  SettingsResponse,
} from './schemas/notify.ts';
import { CreateGitHubLinkBody, GitHubLinkResponse, GitHubLinksResponse, GitHubStatusResponse } from './schemas/github.ts';
import { ACTION_GROUPS } from './inbox.ts';
import { OutboxEntry, OutboxOp } from './desktop/outbox.ts';
import { CreateRequestBody } from './schemas/api.ts';
import { ConnectionStatus } from './desktop/status.ts';
import type { CHANNEL_NAMES, EVENT_NAMES } from './ipc/names.ts';
import { AppSettings, SettingsPatch } from './desktop/settings.ts';
import { Insights } from './desktop/insights.ts';
import { WitnessState } from './desktop/witness.ts';

const Empty = z.strictObject({});
const ById = z.strictObject({ id: Id });
/** Viewed marks count only at the digest they were made at. */
const ViewedFiles = z.object({ digest: z.string(), paths: z.array(z.string()) });

/** One verdict of Try it (shared/policy/try-draft.ts Verdict). */
const TryVerdict = z.object({
  outcome: z.enum(['deny', 'pending', 'warn', 'allow']),
  refused: z.object({ status: z.number().int(), message: z.string(), details: z.array(z.string()) }).optional(),
  gates: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(GATE_KINDS),
      fromDraft: z.boolean(),
      needs: z.array(z.string()),
      whoCanApprove: z.array(z.object({ id: z.string(), name: z.string() })),
    }),
  ),
  bypassed: z.array(z.object({ name: z.string(), by: z.enum(['admin', 'breakglass']) })),
  warnings: z.array(z.string()),
  /** How each content rule of the policies that applied judged the action. */
  rules: z.array(RuleResult).default([]),
});
/** What a request's payload carries for content rules, checked as POST /api/requests checks it. */
const RequestPayload = CreateRequestBody.shape.payload.unwrap().shape;
/** What content rules read of a request that is only being previewed: its revision, diff's risk facts, cost and plan, checked as a request's are. */
const PreviewContent = { revision: RequestPayload.revision, diff: RequestPayload.diff, cost: RequestPayload.cost, plan: RequestPayload.plan };
/** shared/policy/replay.ts ReplayResult. */
const ReplayResult = z.object({
  considered: z.number().int(),
  gated: z.number().int(),
  blocked: z.number().int(),
  skipped: z.number().int(),
  approvers: z.array(z.object({ id: z.string(), name: z.string(), count: z.number().int() })),
  examples: z.array(z.object({ id: Id, action: Action, resource: Resource, requesterId: Id, createdAt: IsoTime, effect: z.enum(['gated', 'blocked']) })),
  from: IsoTime,
  to: IsoTime,
});

export const Session = z.object({
  mode: z.enum(['desktop', 'web']),
  /** The core's clock when it answered: the console reads ages and countdowns against it. */
  now: IsoTime,
  signedIn: z.boolean(),
  serverUrl: z.string().optional(),
  user: User.optional(),
  /** Set when the token cannot be stored safely on this system (kept in memory only): why. */
  tokenNotice: z.string().optional(),
});

/** The "my work" filters: pending and I may still decide / I decided / I asked for it. */
export const INBOX_MINE = ['waiting', 'reviewed', 'requested'] as const;
export type InboxMine = (typeof INBOX_MINE)[number];

export const InboxQuery = z.strictObject({
  status: RequestStatus.optional(),
  mine: z.enum(INBOX_MINE).optional(),
  group: z.enum(ACTION_GROUPS).optional(),
  environmentId: Id.optional(),
  projectId: Id.optional(),
  text: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  offset: z.number().int().min(0).default(0),
});
export type InboxQuery = z.input<typeof InboxQuery>;

export const InboxRow = z.object({
  request: ApprovalRequest,
  canApprove: z.boolean(),
  /** "1 of 3 gates · missing: SRE (…)", every gate summed by the shared engine over the cache (progressLine). */
  progress: z.string(),
  /** The signed-in user's own decision on it, if any (the row says "You approved"). */
  myDecision: z.enum(['approve', 'reject']).optional(),
  /** A decision for it waits in the outbox. */
  queued: z.boolean(),
});

export const InboxResult = z.object({
  rows: z.array(InboxRow),
  total: z.number().int(),
  /** Faceted: each facet counts what choosing it would show, given the other filters. */
  counts: z.object({
    byStatus: z.record(z.string(), z.number().int()),
    byGroup: z.record(z.string(), z.number().int()),
    byEnvironment: z.record(z.string(), z.number().int()),
    byProject: z.record(z.string(), z.number().int()),
    byMine: z.object({ waiting: z.number().int(), reviewed: z.number().int(), requested: z.number().int() }),
  }),
});

export const RequestView = z.object({
  request: ApprovalRequest,
  progress: Progress,
  canApprove: z.boolean(),
  whoCanStillApprove: z.array(z.object({ id: Id, name: z.string() })),
  queued: z.array(OutboxEntry),
});

export const Directory = z.object({
  users: z.array(User),
  teams: z.array(Team),
  projects: z.array(Project),
  clusters: z.array(Cluster),
  environments: z.array(Environment),
  policies: z.array(Policy),
  bindings: z.array(Binding),
});

/** Where a notification leads when clicked. */
export const NoticeTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), id: Id }),
  z.object({ kind: z.literal('environment'), id: Id }),
  z.object({ kind: z.literal('breakglass'), id: Id }),
  z.object({ kind: z.literal('inbox') }),
  z.object({ kind: z.literal('audit') }),
]);
export type NoticeTarget = z.infer<typeof NoticeTarget>;
export const Notice = z.object({ target: NoticeTarget });

export const OutboxSummary = z.object({ queued: z.number().int(), conflicts: z.number().int(), entries: z.array(OutboxEntry) });

/** One field the server refused in a policy save: `quorum.requiredUserIds`, `approvers`, `name`. */
export const FieldIssue = z.object({ path: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof FieldIssue>;
/** Saved, or refused with the server's reasons at their fields (400): the editor shows them in place. */
export const PolicySaveResult = z.union([z.object({ policy: Policy }), z.object({ refused: z.object({ message: z.string(), issues: z.array(FieldIssue) }) })]);

/**
 * A channel saved (with a new webhook's generated secret, in this answer only), or refused with the
 * server's reasons at their fields (a 400's issues; an unknown project or environment at its filter).
 */
export const ChannelSaveResult = z.union([
  z.object({ channel: Channel, secret: z.string().optional() }),
  z.object({ refused: z.object({ message: z.string(), issues: z.array(FieldIssue) }) }),
]);
export type ChannelSaveResult = z.infer<typeof ChannelSaveResult>;

export const channels = {
  'session.get': { input: Empty, output: Session, description: 'who is signed in, to which server' },
  'session.signIn': {
    input: z.strictObject({ serverUrl: z.url({ protocol: /^https?$/ }), token: z.string().trim().min(8).max(512) }),
    output: Session,
    description: 'check the token against the server, keep it in the secret store, start syncing',
  },
  'session.signOut': { input: Empty, output: Session, description: 'forget the token and the cache' },
  'status.get': { input: Empty, output: ConnectionStatus, description: 'online / offline / syncing' },
  'directory.get': { input: Empty, output: Directory, description: 'users, teams, projects, clusters, environments, policies, bindings from the cache' },
  'inbox.query': { input: InboxQuery, output: InboxResult, description: 'the approvals inbox, filtered, newest first, with counts per filter' },
  'request.get': { input: ById, output: RequestView, description: 'a request with per-gate progress and who can still approve (offline preview)' },
  'request.diff': {
    input: ById,
    output: z.object({ text: z.string(), digest: z.string() }),
    description: 'the diff text, from the cache or fetched on demand',
  },
  'request.create': {
    input: CreateRequestBody,
    output: z.object({ request: ApprovalRequest.optional(), queued: OutboxEntry.optional() }),
    description:
      'file a request (with its diff and cost) through the outbox: `request` once the server has filed it, or `queued` while it waits for the server (offline); a refusal (400/422/423) is thrown and nothing stays queued',
  },
  'request.nudge': {
    input: z.strictObject({ id: Id, userIds: z.array(Id).min(1).max(100).optional(), message: z.string().trim().max(500).optional() }),
    output: z.object({ request: ApprovalRequest }),
    description: 'ping who can still approve (online only; once per 10 minutes)',
  },
  'outbox.enqueue': { input: OutboxOp, output: OutboxEntry, description: 'queue a decision durably; resolved once it is on disk' },
  'outbox.list': { input: Empty, output: OutboxSummary, description: 'queued decisions and conflicts' },
  'outbox.dismiss': { input: ById, output: OutboxSummary, description: 'dismiss a conflict once read' },
  'outbox.enqueueHeld': {
    input: z.strictObject({ op: OutboxOp, holdSeconds: z.number().int().min(1).max(60) }),
    output: OutboxEntry,
    description: 'queue a decision durably, held for holdSeconds (an undo window) before it is sent',
  },
  'outbox.undo': { input: ById, output: OutboxSummary, description: 'undo a held decision that has not been sent yet' },
  'preview.action': {
    input: z.strictObject({ action: Action, resource: Resource.strict(), justification: z.string().max(10_000).default(''), ...PreviewContent }),
    output: z.object({
      outcome: z.enum(['deny', 'pending', 'warn', 'allow']),
      message: z.string().optional(),
      gates: z.array(z.string()),
      warnings: z.array(z.string()),
      /** Per gate, what it will need: approvals, distinct teams, and who must be among them (names). */
      needs: z.array(z.object({ gate: z.string(), approvals: z.number().int(), distinctTeams: z.number().int(), including: z.array(z.string()) })).default([]),
    }),
    description: 'what the server would say to this action, computed offline',
  },
  'policy.try': {
    input: z.strictObject({
      draft: PolicyDraft,
      action: Action,
      resource: Resource.strict(),
      /** Who asks; default: the signed-in user. */
      requesterId: Id.optional(),
      justification: z.string().max(10_000).default(''),
      ...PreviewContent,
    }),
    output: z.object({ saved: TryVerdict, draft: TryVerdict, requesterId: Id }),
    description:
      "the verdict on one action (with its diff's risk facts, cost and plan for content rules) with the saved policies and with the draft in place, computed offline from the cache",
  },
  'policy.replay': {
    input: z.strictObject({ draft: PolicyDraft, days: z.number().int().min(1).max(90).default(30) }),
    output: ReplayResult,
    description: 'the draft against the cached requests of the last days: how many it would have gated or blocked, and who could have approved them',
  },
  'breakglass.list': { input: Empty, output: z.object({ sessions: z.array(BreakGlassSession) }), description: 'break-glass sessions from the cache' },
  // Break-glass review (issue 12): the session with every request made under it, and the verdict.
  'breakglass.get': {
    input: ById,
    output: z.object({ session: BreakGlassSession, requests: z.array(ApprovalRequest) }),
    description: 'one break-glass session and the requests made under it (breakGlassSessionId), oldest first, from the cache',
  },
  'breakglass.review': {
    input: z.strictObject({ id: Id, verdict: BreakGlassVerdict, notes: ReviewBreakGlassBody.shape.notes }),
    output: z.object({ session: BreakGlassSession }),
    description: 'record a justified / unjustified verdict with notes on an ended session (POST /api/breakglass/:id/review; online only)',
  },
  'audit.page': {
    input: z.strictObject({
      after: z.number().int().min(0).default(0),
      before: z.number().int().min(1).optional(),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    output: z.object({ events: z.array(AuditEvent), next: z.number().int().nullable() }),
    description: 'audit events from the server, oldest first from after, or newest first below before (online only)',
  },
  'request.history': {
    input: ById,
    output: z.object({ events: z.array(AuditEvent) }),
    description: 'every audit event about one request, oldest first (online only)',
  },
  'audit.verify': {
    input: Empty,
    output: AuditVerifyResponse,
    description: 'verify the hash chain and its signed checkpoints on the server',
  },
  'audit.export': {
    input: z.strictObject({
      format: z.enum(['csv', 'jsonl']),
      from: IsoTime.optional(),
      to: IsoTime.optional(),
      /** Only these events (the rows a filter shows), without the checkpoint: a filtered export is for reading, not for verify. */
      seqs: z.array(z.number().int().min(0)).max(1_000_000).optional(),
    }),
    output: z.object({ filename: z.string(), mime: z.string(), text: z.string() }),
    description: 'the audit log as a file for auditors (online only)',
  },
  'witness.get': {
    input: Empty,
    output: WitnessState,
    description: "the desktop as a witness of the server's audit chain: the checkpoint it last verified, or the alert when the chain no longer extends it",
  },
  'insights.get': {
    input: z.strictObject({ days: z.number().int().min(1).max(365).default(30) }),
    output: Insights,
    description: 'approval latency and the oldest waiting requests, from the cache',
  },
  'tokens.list': {
    input: z.strictObject({ userId: Id.optional() }),
    output: z.object({ tokens: z.array(ApiToken.extend({ current: z.boolean() })) }),
    description:
      "the signed-in user's API tokens, or (admins) `userId`'s (GET /api/tokens; never their secrets), `current` for the one this app uses (online only)",
  },
  'tokens.revoke': {
    input: ById,
    output: z.object({ token: ApiToken, signedOut: z.boolean() }),
    description: 'revoke one of your tokens (DELETE /api/tokens/:id); revoking the one this app uses signs the app out (online only)',
  },
  // People: users, teams and tokens managed on the server (online only); answers are applied to the cache at once.
  'users.create': {
    input: CreateUserBody,
    output: CreatedUserResponse,
    description: 'create a user (POST /api/users, admins); `token` is the secret of their first token, shown in this answer only',
  },
  'users.update': {
    input: z.strictObject({ id: Id, ...PatchUserBody.shape }),
    output: UserResponse,
    description: "change a user's name, email, org role, custom roles or teams (PATCH /api/users/:id, admins; owners only for owners)",
  },
  'users.deactivate': {
    input: ById,
    output: UserResponse,
    description: 'deactivate a user: every token of theirs is refused at once, their decisions stay (admins; owners only for owners)',
  },
  'users.reactivate': {
    input: ById,
    output: UserResponse,
    description: 'reactivate a user: their tokens work again (admins; owners only for owners)',
  },
  'teams.create': { input: NamedBody, output: TeamResponse, description: 'create a team (POST /api/teams, admins)' },
  'tokens.create': {
    input: z.strictObject({ ...CreateTokenBody.shape, userId: Id.optional() }),
    output: CreatedTokenResponse,
    description: 'a new API token for yourself, or (admins) for `userId`; `secret` is in this answer only (online only)',
  },
  'review.viewed.get': {
    input: z.strictObject({ requestId: Id }),
    output: ViewedFiles,
    description: "the files of a request's diff the reviewer marked viewed, at the request's current diff digest",
  },
  'review.viewed.set': {
    input: z.strictObject({ requestId: Id, digest: z.string().min(1).max(200), path: z.string().min(1).max(4096), viewed: z.boolean() }),
    output: ViewedFiles,
    description: 'mark a file of the diff at `digest` viewed or not; refused if the diff has changed since (another digest)',
  },
  'settings.get': { input: Empty, output: AppSettings, description: 'notification preferences, quiet hours, theme' },
  'settings.update': { input: SettingsPatch, output: AppSettings, description: 'validated partial update of the settings; null removes an optional field' },
  // Policies and bindings (owners and admins, online only): the answer is applied to the cache at once.
  'policies.save': {
    input: CreatePolicyBody.extend({ id: Id.optional() }),
    output: PolicySaveResult,
    description:
      'create a policy (POST /api/policies), or with `id` replace its fields (PATCH /api/policies/:id); field refusals come back as `refused` (online only)',
  },
  'policies.delete': {
    input: ById,
    output: PolicyResponse,
    description: 'delete a policy and its bindings (DELETE /api/policies/:id; online only)',
  },
  'bindings.create': {
    input: CreateBindingBody,
    output: BindingResponse,
    description: 'bind a policy to the organization, a project, cluster or environment (online only)',
  },
  'bindings.delete': { input: ById, output: BindingResponse, description: 'remove a binding (DELETE /api/bindings/:id; online only)' },
  'environment.update': {
    input: PatchEnvironmentBody.extend({ id: Id }).strict(),
    output: z.union([z.strictObject({ environment: Environment }), z.strictObject({ request: ApprovalRequest })]),
    description:
      "change an environment's protection and/or reviewers (PATCH /api/environments/:id): {environment} when applied at once, {request} when held for approval (online only)",
  },
  // Notifications (docs/notifications.md), online only: channels and their deliveries (owners and
  // admins), the organisation's settings (everyone reads, owners and admins change) and the
  // signed-in user's email preferences. Nothing here is cached: each answer is the server's.
  'channels.list': { input: Empty, output: ChannelsResponse, description: 'the notification channels, oldest first (GET /api/channels; owners and admins)' },
  'channels.get': { input: ById, output: ChannelResponse, description: 'one notification channel (GET /api/channels/:id; owners and admins)' },
  'channels.create': {
    input: CreateChannelBody,
    output: ChannelSaveResult,
    description:
      'add a webhook, Slack or email channel (POST /api/channels); a webhook made without a secret answers its generated one, in this answer only; field refusals come back as `refused`',
  },
  'channels.update': {
    input: z.strictObject({ id: Id, ...PatchChannelBody.shape }),
    output: ChannelSaveResult,
    description:
      "change a channel's name, URL, secret, recipients, events or filters (PATCH /api/channels/:id; null clears); field refusals come back as `refused`",
  },
  'channels.remove': {
    input: ById,
    output: z.object({ id: Id }),
    description: 'delete a channel and its deliveries not yet made (DELETE /api/channels/:id)',
  },
  'channels.test': { input: ById, output: DeliveryResponse, description: 'send a channel.test delivery through the channel now (POST /api/channels/:id/test)' },
  'channels.deliveries': {
    input: z.strictObject({ id: Id, ...DeliveriesQuery.shape }),
    output: DeliveriesResponse,
    description: "a channel's deliveries, newest first, optionally of one status (GET /api/channels/:id/deliveries)",
  },
  'deliveries.redeliver': {
    input: ById,
    output: DeliveryResponse,
    description: 'send a delivery again now, same id, retried for another 24 h (POST /api/deliveries/:id/redeliver)',
  },
  'orgSettings.get': { input: Empty, output: SettingsResponse, description: "the organisation's notification settings (GET /api/settings)" },
  'orgSettings.update': {
    input: PatchSettingsBody,
    output: SettingsResponse,
    description: 'change the reminder interval, the security teams or the public URL (PATCH /api/settings; owners and admins; null removes the URL)',
  },
  'preferences.get': { input: Empty, output: PreferencesResponse, description: 'which events the signed-in user gets by email (GET /api/me/preferences)' },
  'preferences.update': {
    input: PatchPreferencesBody,
    output: PreferencesResponse,
    description: 'choose which events the signed-in user gets by email (PATCH /api/me/preferences)',
  },
  // GitHub deployment protection rules (docs/github.md), online only and never cached: whether the
  // server runs as a GitHub App, and which repository belongs to which project (admins).
  'github.status': {
    input: Empty,
    output: GitHubStatusResponse.extend({
      /** The server's URL as this app reaches it, with webhookPath: what to paste into the App's settings. */
      webhookUrl: z.string(),
    }),
    description: 'whether the server runs as a GitHub App (its App id and API URL) and the webhook URL for the App (GET /api/integrations/github; admins)',
  },
  'github.links.list': {
    input: Empty,
    output: GitHubLinksResponse,
    description: 'the linked repositories, oldest first (GET /api/integrations/github/links; admins)',
  },
  'github.links.create': {
    input: CreateGitHubLinkBody,
    output: GitHubLinkResponse,
    description:
      'link a repository (owner/name) to a project (POST /api/integrations/github/links; admins); a repository linked already is a conflict (409), an unknown project refused (400)',
  },
  'github.links.remove': {
    input: ById,
    output: GitHubLinkResponse,
    description: "unlink a repository: its deployments are no longer Gatehouse's to gate (DELETE /api/integrations/github/links/:id; admins)",
  },
} as const;

export const events = {
  'cache.changed': z.object({ entities: z.array(SyncEntity), cursor: z.number().int() }),
  'connection.status': ConnectionStatus,
  'outbox.changed': OutboxSummary,
  /** The witness verified a newer checkpoint, or raised an alert. */
  'witness.changed': WitnessState,
  'notification.clicked': Notice,
  navigate: z.object({ route: z.string() }),
  /** Web mode shows these with the browser's Notification API; the desktop uses the OS's. */
  'notification.show': z.object({ id: z.string(), title: z.string(), body: z.string(), urgent: z.boolean().optional(), target: NoticeTarget.optional() }),
  'notification.close': z.object({ id: z.string() }),
} as const;

export type Channels = typeof channels;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The preload's name lists must match the tables exactly, or this fails to compile.
const namesMatch: [Same<(typeof CHANNEL_NAMES)[number], keyof typeof channels>, Same<(typeof EVENT_NAMES)[number], keyof typeof events>] = [true, true];
void namesMatch;
export type Events = typeof events;
export type ChannelName = keyof Channels & string;
export type EventName = keyof Events & string;
export type Handlers = HandlersOf<Channels>;
export type Input<K extends ChannelName> = InputOf<Channels, K>;
export type Output<K extends ChannelName> = OutputOf<Channels, K>;
export type Payload<K extends EventName> = EventPayload<Events, K>;

/** The typed API the preload exposes as `window.gatehouse` (and web mode's client mirrors). */
export interface GatehouseApi {
  invoke<K extends ChannelName>(channel: K, input: Input<K>): Promise<import('./ipc/define.ts').IpcResult<Output<K>>>;
  on<K extends EventName>(event: K, listener: (payload: Payload<K>) => void): () => void;
}
