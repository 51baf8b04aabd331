// The desktop's typed HTTP client for the Gatehouse backend (the contract: docs/api.md), on ky.
// Every response body is parsed with the shared zod schemas; failures become an ApiError (the
// server said no) or a NetworkError (no answer). Idempotent calls — GETs, and POSTs carrying an
// Idempotency-Key — are retried with exponential backoff and jitter on network errors, timeouts
// and 5xx; nothing is ever retried on a 4xx, and a POST without a key is never retried at all.
import ky, { type KyInstance } from 'ky';
import { z } from 'zod';
import {
  type ApproveBody,
  AuditCheckpointsResponse,
  AuditPublicKeyResponse,
  AuditResponse,
  AuditVerifyResponse,
  type CreateRequestBody,
  type CreateTokenBody,
  type CreateUserBody,
  CreatedTokenResponse,
  CreatedUserResponse,
  EnvironmentResponse,
  EnvironmentsResponse,
  ErrorBody,
  MeResponse,
  type FreezeBody,
  type NamedBody,
  type NudgeBody,
  type PatchUserBody,
  ProjectsResponse,
  type RejectBody,
  RequestDetailResponse,
  RequestResponse,
  RequestsResponse,
  SessionResponse,
  SessionsResponse,
  type ReviewBreakGlassBody,
  type StartBreakGlassBody,
  SyncResponse,
  TeamResponse,
  TeamsResponse,
  TokenResponse,
  TokensResponse,
  type UnfreezeBody,
  type PatchEnvironmentBody,
  UserResponse,
  UsersResponse,
  type ApiToken,
  type ApprovalRequest,
  type AuditCheckpoint,
  type BreakGlassSession,
  type Environment,
  type ListRequestsQuery,
  type Project,
  type Team,
  type User,
  BindingResponse,
  PolicyResponse,
  type Binding,
  type CreateBindingBody,
  type CreatePolicyBody,
  type PatchPolicyBody,
  type Policy,
  type Channel,
  ChannelResponse,
  ChannelsResponse,
  CreatedChannelResponse,
  type CreateChannelBody,
  type PatchChannelBody,
  type Delivery,
  type DeliveryStatus,
  DeliveriesResponse,
  DeliveryResponse,
  type OrgSettings,
  type PatchSettingsBody,
  SettingsResponse,
  type Preferences,
  type PatchPreferencesBody,
  PreferencesResponse,
  type CreateGitHubLinkBody,
  type GitHubLink,
  GitHubLinkResponse,
  GitHubLinksResponse,
  GitHubStatusResponse,
} from '../../../shared/schemas/index.ts';
import { serverUrlProblem } from '../../../shared/transport.ts';
import { ApiError, NetworkError } from './errors.ts';

export { ApiError, NetworkError, describeError, isApiError, isNetworkError, type NetworkErrorKind } from './errors.ts';

export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  limit?: number;
  /** First backoff ceiling in ms (default 250); doubles per retry. */
  baseMs?: number;
  /** Backoff ceiling cap in ms (default 5000). */
  maxMs?: number;
}

export interface BackendClientOptions {
  /** e.g. "http://127.0.0.1:8787" (a path prefix is kept). */
  baseUrl: string;
  /** Read on every attempt, so a new token applies at once. */
  token: () => string | undefined;
  /** Plain http to a host that is not this machine (the token in clear): refused unless true. */
  allowInsecureHttp?: boolean;
  /** Per attempt (default 15000). */
  timeoutMs?: number;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** For tests: how to wait between retries and what random to use for jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export type FreezeResult = { status: 200; environment: Environment } | { status: 202; request: ApprovalRequest };

export interface BackendClient {
  readonly baseUrl: string;
  health(opts?: CallOptions): Promise<boolean>;
  me(opts?: CallOptions): Promise<User>;
  /** The caller and the token this client calls with (never its secret). */
  whoAmI(opts?: CallOptions): Promise<z.infer<typeof MeResponse>>;
  users(opts?: CallOptions): Promise<User[]>;
  teams(opts?: CallOptions): Promise<Team[]>;
  projects(opts?: CallOptions): Promise<Project[]>;
  environments(opts?: CallOptions): Promise<Environment[]>;
  environment(id: string, opts?: CallOptions): Promise<Environment>;
  sync(cursor: number, limit?: number, opts?: CallOptions): Promise<SyncResponse>;
  listRequests(query?: Partial<ListRequestsQuery>, opts?: CallOptions): Promise<{ requests: ApprovalRequest[]; nextCursor: string | null }>;
  requestDetail(id: string, opts?: CallOptions): Promise<z.infer<typeof RequestDetailResponse>>;
  /** The diff as text; `etag` is the request's digest (quotes stripped). */
  diff(id: string, opts?: CallOptions): Promise<{ text: string; etag: string | undefined }>;
  /** Without a key this is not retried (a retry could file the request twice). */
  createRequest(body: CreateRequestBody, idempotencyKey?: string, opts?: CallOptions): Promise<ApprovalRequest>;
  approve(id: string, body: ApproveBody, idempotencyKey: string, opts?: CallOptions): Promise<ApprovalRequest>;
  reject(id: string, body: RejectBody, idempotencyKey: string, opts?: CallOptions): Promise<ApprovalRequest>;
  cancel(id: string, idempotencyKey: string, opts?: CallOptions): Promise<ApprovalRequest>;
  nudge(id: string, body: NudgeBody, idempotencyKey: string, opts?: CallOptions): Promise<ApprovalRequest>;
  freeze(environmentId: string, body: FreezeBody, idempotencyKey: string, opts?: CallOptions): Promise<FreezeResult>;
  unfreeze(environmentId: string, body: UnfreezeBody, idempotencyKey: string, opts?: CallOptions): Promise<FreezeResult>;
  /** PATCH /api/environments/:id: 200 the changed environment, or 202 the request that holds the change. */
  updateEnvironment(environmentId: string, body: PatchEnvironmentBody, idempotencyKey: string, opts?: CallOptions): Promise<FreezeResult>;
  startBreakGlass(body: StartBreakGlassBody, idempotencyKey: string, opts?: CallOptions): Promise<BreakGlassSession>;
  revokeBreakGlass(sessionId: string, idempotencyKey: string, opts?: CallOptions): Promise<BreakGlassSession>;
  reviewBreakGlass(sessionId: string, body: ReviewBreakGlassBody, idempotencyKey: string, opts?: CallOptions): Promise<BreakGlassSession>;
  breakGlassSessions(active?: boolean, opts?: CallOptions): Promise<BreakGlassSession[]>;
  /** Oldest first from `after`; or, with `before`, newest first below it. */
  audit(after?: number, limit?: number, opts?: CallOptions & { subject?: string; before?: number }): Promise<z.infer<typeof AuditResponse>>;
  auditVerify(opts?: CallOptions): Promise<z.infer<typeof AuditVerifyResponse>>;
  /** Signed checkpoints with seq > after, oldest first (at most `limit`). */
  auditCheckpoints(after: number, limit?: number, opts?: CallOptions): Promise<AuditCheckpoint[]>;
  /** The Ed25519 public key (SPKI PEM) that checks every checkpoint. */
  auditPublicKey(opts?: CallOptions): Promise<string>;
  /** The signed-in user's tokens (never their secrets), oldest first; an admin may ask for another user's. */
  tokens(opts?: CallOptions & { userId?: string }): Promise<ApiToken[]>;
  /** Revokes a token; with a key, so a retry is safe. */
  revokeToken(id: string, idempotencyKey: string, opts?: CallOptions): Promise<ApiToken>;
  // People (admins): each with a key, so a retry is safe; a replay would answer without the secret.
  createUser(body: CreateUserBody, idempotencyKey: string, opts?: CallOptions): Promise<z.infer<typeof CreatedUserResponse>>;
  updateUser(id: string, body: PatchUserBody, idempotencyKey: string, opts?: CallOptions): Promise<User>;
  setUserActive(id: string, active: boolean, idempotencyKey: string, opts?: CallOptions): Promise<User>;
  createTeam(body: NamedBody, idempotencyKey: string, opts?: CallOptions): Promise<Team>;
  /** A token for the caller, or (admins) for `userId`; the secret is in this answer only. */
  createToken(body: CreateTokenBody, userId: string | undefined, idempotencyKey: string, opts?: CallOptions): Promise<z.infer<typeof CreatedTokenResponse>>;
  // Policies and bindings (owners and admins): each with a key, so a retry is safe.
  createPolicy(body: CreatePolicyBody, idempotencyKey: string, opts?: CallOptions): Promise<Policy>;
  updatePolicy(id: string, body: PatchPolicyBody, idempotencyKey: string, opts?: CallOptions): Promise<Policy>;
  deletePolicy(id: string, idempotencyKey: string, opts?: CallOptions): Promise<Policy>;
  createBinding(body: CreateBindingBody, idempotencyKey: string, opts?: CallOptions): Promise<Binding>;
  deleteBinding(id: string, idempotencyKey: string, opts?: CallOptions): Promise<Binding>;
  // Notifications (owners and admins for channels and deliveries; settings read by anyone,
  // preferences the caller's own): each mutation with a key, so a retry is safe.
  channels(opts?: CallOptions): Promise<Channel[]>;
  channel(id: string, opts?: CallOptions): Promise<Channel>;
  /** A webhook made without a secret answers its generated one here only (a replay answers without it). */
  createChannel(body: CreateChannelBody, idempotencyKey: string, opts?: CallOptions): Promise<z.infer<typeof CreatedChannelResponse>>;
  updateChannel(id: string, body: PatchChannelBody, idempotencyKey: string, opts?: CallOptions): Promise<z.infer<typeof CreatedChannelResponse>>;
  deleteChannel(id: string, idempotencyKey: string, opts?: CallOptions): Promise<void>;
  testChannel(id: string, idempotencyKey: string, opts?: CallOptions): Promise<Delivery>;
  deliveries(channelId: string, query?: { status?: DeliveryStatus; limit?: number }, opts?: CallOptions): Promise<Delivery[]>;
  redeliver(id: string, idempotencyKey: string, opts?: CallOptions): Promise<Delivery>;
  orgSettings(opts?: CallOptions): Promise<OrgSettings>;
  updateOrgSettings(body: PatchSettingsBody, idempotencyKey: string, opts?: CallOptions): Promise<OrgSettings>;
  preferences(opts?: CallOptions): Promise<Preferences>;
  updatePreferences(body: PatchPreferencesBody, idempotencyKey: string, opts?: CallOptions): Promise<Preferences>;
  // The GitHub App integration (admins): whether the server is one, and which repository is which project's.
  githubStatus(opts?: CallOptions): Promise<GitHubStatusResponse>;
  githubLinks(opts?: CallOptions): Promise<GitHubLink[]>;
  createGitHubLink(body: CreateGitHubLinkBody, idempotencyKey: string, opts?: CallOptions): Promise<GitHubLink>;
  deleteGitHubLink(id: string, idempotencyKey: string, opts?: CallOptions): Promise<GitHubLink>;
  /** The auditors' file (CSV or JSONL) as text, optionally limited to [from, to]. */
  auditExport(format: 'csv' | 'jsonl', range?: { from?: string; to?: string }, opts?: CallOptions): Promise<string>;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Call<S extends z.ZodType> {
  method: Method;
  path: string;
  schema: S;
  json?: unknown;
  searchParams?: Record<string, string | number>;
  idempotencyKey?: string;
  signal?: AbortSignal | undefined;
}

const RETRY_STATUSES = new Set([500, 502, 503, 504]);

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Maps a thrown fetch/ky error to a NetworkError. */
export function toNetworkError(err: unknown, timeoutMs?: number): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return new NetworkError('timeout', `timed out after ${timeoutMs ?? '?'} ms`, { cause: err });
  if (e?.name === 'AbortError') return new NetworkError('aborted', 'aborted', { cause: err });
  const code = e?.cause?.code;
  const text =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
        ? 'connection reset'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host not found'
          : (e?.cause?.message ?? e?.message ?? String(err));
  return new NetworkError('offline', text, { cause: err });
}

/** The longest Retry-After honoured: a broken or hostile header must not park a desktop for days. */
export const MAX_RETRY_AFTER_MS = 300_000;

/** Retry-After in ms, from its delta-seconds form (an HTTP-date, or anything else, is ignored). */
export function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || !/^\s*\d{1,9}\s*$/.test(header)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Number(header) * 1000);
}

/**
 * How long to wait when the server said Retry-After: that, plus up to one second of jitter. The
 * header has whole seconds, so without it every client told "3" would return in the same millisecond.
 */
export function retryAfterDelay(retryAfterMs: number, random: () => number = Math.random): number {
  return Math.round(retryAfterMs + random() * 1000);
}

/** Builds an ApiError from an error response (any body), with its Retry-After if it has one. */
export async function toApiError(res: Response): Promise<ApiError> {
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = ErrorBody.safeParse(json);
  if (parsed.success) return new ApiError(res.status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.details, retryAfterMs);
  return new ApiError(res.status, `http_${res.status}`, text.trim().slice(0, 300) || res.statusText || `HTTP ${res.status}`, undefined, retryAfterMs);
}

/** Exponential backoff with jitter: ceiling = min(maxMs, baseMs·2^attempt); a random delay in [ceiling/2, ceiling]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function createBackendClient(options: BackendClientOptions): BackendClient {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const retryLimit = options.retry?.limit ?? 2;
  const baseMs = options.retry?.baseMs ?? 250;
  const maxMs = options.retry?.maxMs ?? 5_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const prefixUrl = `${options.baseUrl.replace(/\/+$/, '')}/`;
  // Every call is refused, before any byte leaves, when the URL would carry the token in clear.
  const insecure = serverUrlProblem(options.baseUrl, { allowInsecureHttp: options.allowInsecureHttp === true });

  const http: KyInstance = ky.create({
    prefixUrl,
    timeout: timeoutMs,
    retry: 0,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    hooks: {
      beforeRequest: [
        (request) => {
          const token = options.token();
          if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`);
        },
      ],
    },
  });

  /** One call with its retries; returns the successful Response (body unread). */
  async function send(c: Omit<Call<z.ZodType>, 'schema'>): Promise<Response> {
    if (insecure) throw new NetworkError('offline', insecure);
    const idempotent = c.method === 'GET' || c.idempotencyKey !== undefined;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await http(c.path.replace(/^\/+/, ''), {
          method: c.method,
          ...(c.json !== undefined ? { json: c.json } : {}),
          ...(c.searchParams ? { searchParams: c.searchParams } : {}),
          ...(c.idempotencyKey !== undefined ? { headers: { 'idempotency-key': c.idempotencyKey } } : {}),
          ...(c.signal ? { signal: c.signal } : {}),
        });
      } catch (err) {
        const ne = toNetworkError(err, timeoutMs);
        if (!idempotent || ne.kind === 'aborted' || attempt >= retryLimit || c.signal?.aborted) throw ne;
        await sleep(backoffDelay(attempt, baseMs, maxMs, random));
        if (c.signal?.aborted) throw new NetworkError('aborted', 'aborted');
        continue;
      }
      if (res.ok) return res;
      // A Retry-After longer than our own backoff cap is the caller's to wait out, not this call's.
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      if (idempotent && RETRY_STATUSES.has(res.status) && attempt < retryLimit && !c.signal?.aborted && (retryAfterMs ?? 0) <= maxMs) {
        await res.body?.cancel().catch(() => undefined);
        await sleep(retryAfterMs !== undefined ? retryAfterDelay(retryAfterMs, random) : backoffDelay(attempt, baseMs, maxMs, random));
        continue;
      }
      throw await toApiError(res);
    }
  }

  async function readJson<S extends z.ZodType>(res: Response, schema: S): Promise<z.infer<S>> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw toNetworkError(err, timeoutMs);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'invalid_response', `response is not JSON: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ApiError(res.status, 'invalid_response', `response does not match the schema: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }

  async function call<S extends z.ZodType>(c: Call<S>): Promise<z.infer<S>> {
    const res = await send(c);
    return readJson(res, c.schema);
  }

  const get = <S extends z.ZodType>(path: string, schema: S, opts?: CallOptions, searchParams?: Record<string, string | number>) =>
    call({ method: 'GET', path, schema, signal: opts?.signal, ...(searchParams ? { searchParams } : {}) });
  const post = <S extends z.ZodType>(path: string, schema: S, json: unknown, idempotencyKey: string | undefined, opts?: CallOptions) =>
    call({ method: 'POST', path, schema, json, signal: opts?.signal, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
  const patch = <S extends z.ZodType>(path: string, schema: S, json: unknown, idempotencyKey: string, opts?: CallOptions) =>
    call({ method: 'PATCH', path, schema, json, idempotencyKey, signal: opts?.signal });
  const enc = encodeURIComponent;

  async function freezeLike(path: string, body: unknown, key: string, opts?: CallOptions, method: Method = 'POST'): Promise<FreezeResult> {
    const res = await send({ method, path, json: body, idempotencyKey: key, signal: opts?.signal });
    if (res.status === 202) return { status: 202, request: (await readJson(res, RequestResponse)).request };
    return { status: 200, environment: (await readJson(res, EnvironmentResponse)).environment };
  }

  return {
    baseUrl: options.baseUrl,
    async health(opts) {
      const res = await send({ method: 'GET', path: 'healthz', signal: opts?.signal });
      await res.body?.cancel().catch(() => undefined);
      return true;
    },
    me: async (opts) => (await get('api/me', UserResponse, opts)).user,
    whoAmI: (opts) => get('api/me', MeResponse, opts),
    users: async (opts) => (await get('api/users', UsersResponse, opts)).users,
    teams: async (opts) => (await get('api/teams', TeamsResponse, opts)).teams,
    projects: async (opts) => (await get('api/projects', ProjectsResponse, opts)).projects,
    environments: async (opts) => (await get('api/environments', EnvironmentsResponse, opts)).environments,
    environment: async (id, opts) => (await get(`api/environments/${enc(id)}`, EnvironmentResponse, opts)).environment,
    sync: (cursor, limit = 1000, opts) => get('api/sync', SyncResponse, opts, { cursor, limit }),
    async listRequests(query = {}, opts) {
      const sp: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(query)) if (v !== undefined) sp[k] = v as string | number;
      return get('api/requests', RequestsResponse, opts, sp);
    },
    requestDetail: (id, opts) => get(`api/requests/${enc(id)}`, RequestDetailResponse, opts),
    async diff(id, opts) {
      const res = await send({ method: 'GET', path: `api/requests/${enc(id)}/diff`, signal: opts?.signal });
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw toNetworkError(err, timeoutMs);
      }
      const etag = res.headers.get('etag')?.replace(/^W\//, '').replace(/^"|"$/g, '') ?? undefined;
      return { text, etag };
    },
    createRequest: async (body, key, opts) => (await post('api/requests', RequestResponse, body, key, opts)).request,
    approve: async (id, body, key, opts) => (await post(`api/requests/${enc(id)}/approve`, RequestResponse, body, key, opts)).request,
    reject: async (id, body, key, opts) => (await post(`api/requests/${enc(id)}/reject`, RequestResponse, body, key, opts)).request,
    nudge: async (id, body, key, opts) => (await post(`api/requests/${enc(id)}/nudge`, RequestResponse, body, key, opts)).request,
    cancel: async (id, key, opts) => (await post(`api/requests/${enc(id)}/cancel`, RequestResponse, {}, key, opts)).request,
    freeze: (envId, body, key, opts) => freezeLike(`api/environments/${enc(envId)}/freeze`, body, key, opts),
    unfreeze: (envId, body, key, opts) => freezeLike(`api/environments/${enc(envId)}/unfreeze`, body, key, opts),
    updateEnvironment: (envId, body, key, opts) => freezeLike(`api/environments/${enc(envId)}`, body, key, opts, 'PATCH'),
    startBreakGlass: async (body, key, opts) => (await post('api/breakglass', SessionResponse, body, key, opts)).session,
    revokeBreakGlass: async (id, key, opts) => (await post(`api/breakglass/${enc(id)}/revoke`, SessionResponse, {}, key, opts)).session,
    reviewBreakGlass: async (id, body, key, opts) => (await post(`api/breakglass/${enc(id)}/review`, SessionResponse, body, key, opts)).session,
    breakGlassSessions: async (active, opts) =>
      (await get('api/breakglass', SessionsResponse, opts, active === undefined ? undefined : { active: String(active) })).sessions,
    audit: (after = 0, limit = 500, opts) =>
      get('api/audit', AuditResponse, opts, {
        ...(opts?.before !== undefined ? { before: opts.before } : { after }),
        limit,
        ...(opts?.subject ? { subject: opts.subject } : {}),
      }),
    auditVerify: (opts) => get('api/audit/verify', AuditVerifyResponse, opts),
    auditCheckpoints: async (after, limit = 1000, opts) => (await get('api/audit/checkpoints', AuditCheckpointsResponse, opts, { after, limit })).checkpoints,
    auditPublicKey: async (opts) => (await get('api/audit/public-key', AuditPublicKeyResponse, opts)).publicKey,
    tokens: async (opts) => (await get('api/tokens', TokensResponse, opts, opts?.userId !== undefined ? { userId: opts.userId } : undefined)).tokens,
    revokeToken: async (id, key, opts) =>
      (await call({ method: 'DELETE', path: `api/tokens/${enc(id)}`, schema: TokenResponse, idempotencyKey: key, signal: opts?.signal })).token,
    createUser: (body, key, opts) => post('api/users', CreatedUserResponse, body, key, opts),
    updateUser: async (id, body, key, opts) =>
      (await call({ method: 'PATCH', path: `api/users/${enc(id)}`, schema: UserResponse, json: body, idempotencyKey: key, signal: opts?.signal })).user,
    setUserActive: async (id, active, key, opts) =>
      (await post(`api/users/${enc(id)}/${active ? 'reactivate' : 'deactivate'}`, UserResponse, {}, key, opts)).user,
    createTeam: async (body, key, opts) => (await post('api/teams', TeamResponse, body, key, opts)).team,
    createToken: (body, userId, key, opts) =>
      post(userId === undefined ? 'api/tokens' : `api/users/${enc(userId)}/tokens`, CreatedTokenResponse, body, key, opts),
    createPolicy: async (body, key, opts) => (await post('api/policies', PolicyResponse, body, key, opts)).policy,
    updatePolicy: async (id, body, key, opts) =>
      (await call({ method: 'PATCH', path: `api/policies/${enc(id)}`, schema: PolicyResponse, json: body, idempotencyKey: key, signal: opts?.signal })).policy,
    deletePolicy: async (id, key, opts) =>
      (await call({ method: 'DELETE', path: `api/policies/${enc(id)}`, schema: PolicyResponse, idempotencyKey: key, signal: opts?.signal })).policy,
    createBinding: async (body, key, opts) => (await post('api/bindings', BindingResponse, body, key, opts)).binding,
    deleteBinding: async (id, key, opts) =>
      (await call({ method: 'DELETE', path: `api/bindings/${enc(id)}`, schema: BindingResponse, idempotencyKey: key, signal: opts?.signal })).binding,
    channels: async (opts) => (await get('api/channels', ChannelsResponse, opts)).channels,
    channel: async (id, opts) => (await get(`api/channels/${enc(id)}`, ChannelResponse, opts)).channel,
    createChannel: (body, key, opts) => post('api/channels', CreatedChannelResponse, body, key, opts),
    updateChannel: (id, body, key, opts) => patch(`api/channels/${enc(id)}`, CreatedChannelResponse, body, key, opts),
    async deleteChannel(id, key, opts) {
      // 204: no body to read.
      const res = await send({ method: 'DELETE', path: `api/channels/${enc(id)}`, idempotencyKey: key, signal: opts?.signal });
      await res.body?.cancel().catch(() => undefined);
    },
    testChannel: async (id, key, opts) => (await post(`api/channels/${enc(id)}/test`, DeliveryResponse, {}, key, opts)).delivery,
    deliveries: async (channelId, query = {}, opts) => {
      const sp: Record<string, string | number> = {};
      if (query.status !== undefined) sp.status = query.status;
      if (query.limit !== undefined) sp.limit = query.limit;
      return (await get(`api/channels/${enc(channelId)}/deliveries`, DeliveriesResponse, opts, sp)).deliveries;
    },
    redeliver: async (id, key, opts) => (await post(`api/deliveries/${enc(id)}/redeliver`, DeliveryResponse, {}, key, opts)).delivery,
    orgSettings: async (opts) => (await get('api/settings', SettingsResponse, opts)).settings,
    updateOrgSettings: async (body, key, opts) => (await patch('api/settings', SettingsResponse, body, key, opts)).settings,
    preferences: async (opts) => (await get('api/me/preferences', PreferencesResponse, opts)).preferences,
    updatePreferences: async (body, key, opts) => (await patch('api/me/preferences', PreferencesResponse, body, key, opts)).preferences,
    githubStatus: (opts) => get('api/integrations/github', GitHubStatusResponse, opts),
    githubLinks: async (opts) => (await get('api/integrations/github/links', GitHubLinksResponse, opts)).links,
    createGitHubLink: async (body, key, opts) => (await post('api/integrations/github/links', GitHubLinkResponse, body, key, opts)).link,
    deleteGitHubLink: async (id, key, opts) =>
      (
        await call({
          method: 'DELETE',
          path: `api/integrations/github/links/${enc(id)}`,
          schema: GitHubLinkResponse,
          idempotencyKey: key,
          signal: opts?.signal,
        })
      ).link,
    async auditExport(format, range, opts) {
      const searchParams: Record<string, string> = { format, ...(range?.from ? { from: range.from } : {}), ...(range?.to ? { to: range.to } : {}) };
      const res = await send({ method: 'GET', path: 'api/audit/export', searchParams, signal: opts?.signal });
      try {
        return await res.text();
      } catch (err) {
        throw toNetworkError(err, timeoutMs);
      }
    },
  };
}
