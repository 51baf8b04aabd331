// The few GitHub REST endpoints Gatehouse calls as a GitHub App: an installation token (asked for
// with an RS256 app JWT), a compare between two commits, and a run's deployment protection rule
// callback. Everything else about GitHub stays out of here.
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { REQUEST_BODY_LIMIT } from '../http/body-limits.ts';

export interface GitHubAppConfig {
  appId: string;
  privateKey: KeyObject;
  webhookSecret: string;
  /** https://api.github.com, or a GitHub Enterprise Server's /api/v3; no trailing slash. */
  apiUrl: string;
}

/** A non-2xx answer, or no answer: `status` 0 when GitHub could not be reached. */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;
/** GitHub refuses app JWTs that live longer than ten minutes or were issued in its future. */
const JWT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 9 * 60;
/** An installation token is reused until five minutes before GitHub's expiry for it. */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** The diff is attached to the request: the same limit as a diff sent to POST /api/requests. */
export const MAX_DIFF_BYTES = REQUEST_BODY_LIMIT;

const AccessToken = z.object({ token: z.string().min(1), expires_at: z.string() });
const Compare = z.object({ commits: z.array(z.object({ commit: z.object({ message: z.string() }) })).default([]) });

async function failure(res: Response): Promise<GitHubError> {
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: the text itself says it
  }
  return new GitHubError(res.status, `GitHub answered ${res.status}${message ? `: ${message}` : ''}`);
}

export class GitHubApi {
  readonly #config: GitHubAppConfig;
  readonly #now: () => Date;
  readonly #tokens = new Map<number, { token: string; renewAtMs: number }>();

  constructor(config: GitHubAppConfig, now: () => Date) {
    this.#config = config;
    this.#now = now;
  }

  get apiUrl(): string {
    return this.#config.apiUrl;
  }

  /** The JWT that authenticates the App itself (only to ask for installation tokens). */
  async appJwt(): Promise<string> {
    const iat = Math.floor(this.#now().getTime() / 1000) - JWT_BACKDATE_S;
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + JWT_BACKDATE_S + JWT_LIFETIME_S)
      .setIssuer(this.#config.appId)
      .sign(this.#config.privateKey);
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new GitHubError(0, `GitHub could not be reached at ${new URL(url).origin}: ${cause ?? (err as Error).message}`);
    }
  }

  #headers(token: string, accept = 'application/vnd.github+json'): Record<string, string> {
    return { authorization: `Bearer ${token}`, accept, 'x-github-api-version': '2022-11-28', 'user-agent': 'Gatehouse' };
  }

  async installationToken(installationId: number): Promise<string> {
    const cached = this.#tokens.get(installationId);
    if (cached && cached.renewAtMs > this.#now().getTime()) return cached.token;
    const res = await this.#fetch(`${this.#config.apiUrl}/app/installations/${installationId}/access_tokens`, {
      method: 'POST',
      headers: this.#headers(await this.appJwt()),
    });
    if (!res.ok) throw await failure(res);
    const parsed = AccessToken.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new GitHubError(res.status, 'GitHub answered the access token request without a token');
    const expires = Date.parse(parsed.data.expires_at);
    this.#tokens.set(installationId, { token: parsed.data.token, renewAtMs: (Number.isNaN(expires) ? this.#now().getTime() : expires) - TOKEN_MARGIN_MS });
    return parsed.data.token;
  }

  /** The unified diff from `base` to `head`, and the messages of the commits between them (oldest first). */
  async compare(installationId: number, repository: string, base: string, head: string): Promise<{ diff: string; messages: string[] }> {
    const token = await this.installationToken(installationId);
    const url = `${this.#config.apiUrl}/repos/${repository}/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}`;
    const json = await this.#fetch(url, { headers: this.#headers(token) });
    if (!json.ok) throw await failure(json);
    const parsed = Compare.safeParse(await json.json().catch(() => undefined));
    if (!parsed.success) throw new GitHubError(json.status, 'GitHub answered the compare without its commits');
    const raw = await this.#fetch(url, { headers: this.#headers(token, 'application/vnd.github.diff') });
    if (!raw.ok) throw await failure(raw);
    const bytes = Buffer.from(await raw.arrayBuffer());
    if (bytes.length > MAX_DIFF_BYTES)
      throw new GitHubError(raw.status, `the diff is ${bytes.length} bytes, more than the ${MAX_DIFF_BYTES} a request may carry`);
    return { diff: new TextDecoder('utf-8', { fatal: false }).decode(bytes), messages: parsed.data.commits.map((c) => c.commit.message) };
  }

  /** Posts to a run's deployment protection rule callback: a verdict, or (without `state`) a progress report. */
  async review(installationId: number, callbackUrl: string, body: string): Promise<void> {
    const token = await this.installationToken(installationId);
    const res = await this.#fetch(callbackUrl, { method: 'POST', headers: { ...this.#headers(token), 'content-type': 'application/json' }, body });
    if (res.status === 401) this.#tokens.delete(installationId);
    if (!res.ok) throw await failure(res);
  }

  /** Whether a callback URL is on this App's API: an installation token is never sent anywhere else. */
  ownsUrl(url: string): boolean {
    if (!URL.canParse(url)) return false;
    const u = new URL(url);
    const api = new URL(this.#config.apiUrl);
    return u.origin === api.origin && u.pathname.startsWith(`${api.pathname.replace(/\/+$/, '')}/repos/`) && !u.username && !u.password;
  }
}
