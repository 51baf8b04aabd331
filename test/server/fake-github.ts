// A local fake of exactly the GitHub REST endpoints Gatehouse calls as a GitHub App, on 127.0.0.1:
// installation access tokens (the app JWT checked against the App's public key), compare (JSON
// and the diff media type), and a run's deployment protection rule callback. It records every
// call, and can be taken down and brought back like the other peers. Webhook bodies follow
// GitHub's documented `deployment_protection_rule` payload.
import { createHmac, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type http from 'node:http';
import { jwtVerify } from 'jose';
import { testClock } from '../clock.ts';
import { HttpPeer, until } from './receivers.ts';

export interface Review {
  repository: string;
  runId: number;
  installationId: number;
  body: { environment_name?: string; state?: string; comment?: string };
  /** What the fake answered. */
  status: number;
}

export interface FakeCall {
  method: string;
  path: string;
  accept: string | undefined;
  status: number;
}

/** A change GitHub would show for base...head. */
export interface FakeCompare {
  diff: string;
  messages: string[];
}

export function appKeys(): { privatePem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // PKCS#1, as GitHub hands an App's private key out.
  return { privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

export const SAMPLE_DIFF = (sha: string) => `diff --git a/deploy/app.yaml b/deploy/app.yaml
--- a/deploy/app.yaml
+++ b/deploy/app.yaml
@@ -1,3 +1,3 @@
 kind: Deployment
-image: registry.example.com/checkout:previous
+image: registry.example.com/checkout:${sha.slice(0, 12)}
 replicas: 3
`;

export class FakeGitHub extends HttpPeer {
  readonly calls: FakeCall[] = [];
  readonly reviews: Review[] = [];
  /** What the fake found wrong in a call (a bad JWT, an unknown token): the tests assert it stays empty. */
  readonly problems: string[] = [];
  /** Compares by "base...head"; any other pair gets SAMPLE_DIFF of head. */
  readonly compares = new Map<string, FakeCompare>();
  readonly #tokens = new Map<string, number>();

  private constructor(
    readonly appId: string,
    readonly publicKey: KeyObject,
  ) {
    super();
  }

  static async start(appId: string, publicKey: KeyObject): Promise<FakeGitHub> {
    const fake = new FakeGitHub(appId, publicKey);
    await fake.listen(0);
    return fake;
  }

  callbackUrl(repository: string, runId: number): string {
    return `${this.origin}/repos/${repository}/actions/runs/${runId}/deployment_protection_rule`;
  }

  reviewsOf(runId: number): Review[] {
    return this.reviews.filter((r) => r.runId === runId && r.status === 204);
  }

  verdictsOf(runId: number): Review[] {
    return this.reviewsOf(runId).filter((r) => r.body.state !== undefined);
  }

  /** Waits for the run's verdict (the first accepted post with a state). */
  verdict(runId: number, timeoutMs = 20_000): Promise<Review> {
    return until(
      () => this.verdictsOf(runId)[0],
      `the verdict on run ${runId}`,
      () => JSON.stringify(this.reviews.filter((r) => r.runId === runId)),
      timeoutMs,
    );
  }

  protected handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    void this.#route(req, body).then(
      ({ status, json, text }) => {
        this.calls.push({ method: req.method ?? '', path: req.url ?? '', accept: req.headers.accept, status });
        if (text !== undefined) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
        else if (json !== undefined) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        else res.writeHead(status).end();
      },
      (err: unknown) => {
        this.problems.push(`handler failed: ${(err as Error).message}`);
        res.writeHead(500).end();
      },
    );
  }

  #bearer(req: http.IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
  }

  /** An installation token this fake issued, for this installation. */
  #authorized(req: http.IncomingMessage, installationId?: number): boolean {
    const token = this.#bearer(req);
    const owner = token === undefined ? undefined : this.#tokens.get(token);
    if (owner === undefined || (installationId !== undefined && owner !== installationId)) {
      this.problems.push(`${req.method} ${req.url}: not an installation token this fake issued${installationId ? ` for installation ${installationId}` : ''}`);
      return false;
    }
    return true;
  }

  async #route(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; json?: unknown; text?: string }> {
    if (this.mode === 'unavailable') return { status: 503, json: { message: 'Service Unavailable' } };
    const url = new URL(req.url ?? '/', this.origin);
    let m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    if (m && req.method === 'POST') {
      const jwt = this.#bearer(req);
      try {
        if (!jwt) throw new Error('no bearer JWT');
        const { payload } = await jwtVerify(jwt, this.publicKey, { algorithms: ['RS256'], issuer: this.appId, currentDate: testClock() });
        if (payload.iat === undefined || payload.exp === undefined || payload.exp - payload.iat > 600) throw new Error('the JWT must live at most 10 minutes');
        const token = `ghs_${randomBytes(18).toString('hex')}`;
        this.#tokens.set(token, Number(m[1]));
        return {
          status: 201,
          json: { token, expires_at: new Date((payload.iat + 3600) * 1000).toISOString(), permissions: { deployments: 'write', actions: 'read' } },
        };
      } catch (err) {
        this.problems.push(`access token: ${(err as Error).message}`);
        return { status: 401, json: { message: 'A JSON web token could not be decoded' } };
      }
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/compare\/(.+)$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      if (!this.#authorized(req)) return { status: 401, json: { message: 'Bad credentials' } };
      const basehead = decodeURIComponent(m[2]!);
      const [, head] = basehead.split('...');
      if (!head) return { status: 404, json: { message: 'Not Found' } };
      const change = this.compares.get(basehead) ?? { diff: SAMPLE_DIFF(head), messages: [`Roll out ${head.slice(0, 7)}\n\nDetails.`] };
      if (req.headers.accept === 'application/vnd.github.diff') return { status: 200, text: change.diff };
      return { status: 200, json: { status: 'ahead', commits: change.messages.map((message, i) => ({ sha: `${i}`, commit: { message } })), files: [] } };
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(url.pathname);
    if (m && req.method === 'POST') {
      const runId = Number(m[2]);
      const token = this.#bearer(req);
      const installationId = token ? this.#tokens.get(token) : undefined;
      if (!this.#authorized(req)) return { status: 401, json: { message: 'Bad credentials' } };
      const parsed = JSON.parse(body.toString('utf8')) as Review['body'];
      // GitHub takes one verdict a run; a second finds nothing waiting.
      const status = parsed.state !== undefined && this.verdictsOf(runId).length > 0 ? 422 : 204;
      this.reviews.push({ repository: m[1]!, runId, installationId: installationId!, body: parsed, status });
      return status === 204 ? { status } : { status, json: { message: 'No pending deployment requests to approve or reject' } };
    }
    return { status: 404, json: { message: 'Not Found' } };
  }
}

let nextRun = 9_000_000_000;

/** A `deployment_protection_rule` webhook body as GitHub documents it (action "requested"). */
export function protectionRuleEvent(
  fake: FakeGitHub,
  opts: { repository: string; environment: string; sha?: string; sender?: string; installationId?: number; pullRequestTitle?: string; runId?: number },
): { runId: number; sha: string; body: Record<string, unknown> } {
  const runId = opts.runId ?? nextRun++;
  const sha = opts.sha ?? randomBytes(20).toString('hex');
  const [owner, name] = opts.repository.split('/') as [string, string];
  const sender = opts.sender ?? 'octocat';
  const user = { login: sender, id: 583231, node_id: 'MDQ6VXNlcjU4MzIzMQ==', type: 'User', site_admin: false };
  const at = testClock().toISOString();
  return {
    runId,
    sha,
    body: {
      action: 'requested',
      environment: opts.environment,
      event: 'push',
      deployment_callback_url: fake.callbackUrl(opts.repository, runId),
      deployment: {
        url: `${fake.origin}/repos/${opts.repository}/deployments/${runId}`,
        id: runId,
        node_id: 'DE_kwDOA',
        task: 'deploy',
        original_environment: opts.environment,
        environment: opts.environment,
        description: null,
        created_at: at,
        updated_at: at,
        statuses_url: `${fake.origin}/repos/${opts.repository}/deployments/${runId}/statuses`,
        repository_url: `${fake.origin}/repos/${opts.repository}`,
        creator: user,
        sha,
        ref: 'main',
        payload: {},
        transient_environment: false,
        production_environment: opts.environment === 'production',
        performed_via_github_app: null,
      },
      pull_requests: opts.pullRequestTitle
        ? [{ url: `${fake.origin}/repos/${opts.repository}/pulls/7`, id: 7, number: 7, state: 'closed', title: opts.pullRequestTitle }]
        : [],
      repository: {
        id: 17273051,
        node_id: 'MDEwOlJlcG9zaXRvcnkxNzI3MzA1MQ==',
        name,
        full_name: opts.repository,
        private: true,
        owner: { ...user, login: owner },
      },
      organization: { login: owner, id: 1, node_id: 'MDEyOk9yZ2FuaXphdGlvbjE=' },
      installation: { id: opts.installationId ?? 42, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' },
      sender: user,
    },
  };
}

/** GitHub's signature header for this body under the webhook secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
