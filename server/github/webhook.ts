// A `deployment_protection_rule` webhook becomes a release.deploy request on the linked project's
// environment of the same name, in the name of the user whose githubLogin started the run (else
// the `github` service user), with the commit as revision and the compare diff attached. Anything
// that keeps a request from being made (an unlinked repository, an unknown environment, a locked
// one, a policy's denial, a diff GitHub would not give) is answered to the run at once as
// `rejected` with the reason: a run is never left waiting on a request that does not exist.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { requestContent } from '../../shared/policy/request-content.ts';
import { GitHubRepository, type ApprovalRequest, type Environment, type GitHubLink, type User } from '../../shared/schemas/index.ts';
import { audit, type ServiceContext } from '../domain/context.ts';
import { createRequest } from '../domain/create-request.ts';
import { userByGitHubLogin } from '../domain/directory.ts';
import { evaluate, refuse } from '../domain/evaluate.ts';
import { newId } from '../domain/ids.ts';
import type { StoreReader, StoreTx } from '../store/types.ts';
import type { GitHubApi } from './api.ts';
import { refusalComment } from './comments.ts';
import { queueCallback } from './gate.ts';

/** Whether `X-Hub-Signature-256` is the HMAC-SHA256 of exactly these bytes under the webhook secret. */
export function signatureValid(secret: string, body: Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The fields of GitHub's `deployment_protection_rule` payload that Gatehouse reads; the rest is ignored. */
export const ProtectionRuleEvent = z.object({
  action: z.string(),
  environment: z.string().min(1).max(255),
  event: z.string().max(100).optional(),
  deployment_callback_url: z.string().max(2000),
  deployment: z.object({
    sha: z.string().regex(/^[0-9a-f]{7,64}$/i, 'must be a commit SHA'),
    ref: z.string().max(500).optional(),
    creator: z.object({ login: z.string().max(100) }).nullish(),
  }),
  pull_requests: z.array(z.object({ number: z.number().int().optional(), title: z.string().max(1000).optional() })).nullish(),
  // Checked as a repository name: it becomes part of API paths the installation token is sent to.
  repository: z.object({ full_name: GitHubRepository }),
  installation: z.object({ id: z.number().int().positive() }),
  sender: z.object({ login: z.string().max(100) }).nullish(),
});
export type ProtectionRuleEvent = z.infer<typeof ProtectionRuleEvent>;

const SERVICE_EMAIL = 'github@service.gatehouse.invalid';

/** The `github` service user: requester of deployments whose starter has no Gatehouse login. Made on first use. */
async function serviceUser(ctx: ServiceContext, tx: StoreTx): Promise<User> {
  const existing = await tx.userByEmail(SERVICE_EMAIL);
  if (existing) return existing;
  const user: User = { id: newId('usr'), name: 'github', email: SERVICE_EMAIL, orgRole: 'member', roles: [], teamIds: [], active: true };
  await tx.put('user', user);
  await audit(tx, ctx.now(), 'system', 'user.created', user.id, { name: user.name, email: user.email, orgRole: user.orgRole, service: 'github' });
  return user;
}

/** A deployment's starter, if they are an active Gatehouse user. */
async function starter(tx: StoreReader, event: ProtectionRuleEvent): Promise<User | undefined> {
  for (const login of [event.sender?.login, event.deployment.creator?.login]) {
    if (!login) continue;
    const user = await userByGitHubLogin(tx, login);
    if (user && user.active !== false) return user;
  }
  return undefined;
}

/** The revision of the last approved deploy to this environment: what this deployment is compared with. */
async function lastApprovedRevision(store: StoreReader, environmentId: string, sha: string): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const { requests, nextCursor } = await store.listRequests({
      status: 'approved',
      action: 'release.deploy',
      environmentId,
      limit: 50,
      ...(cursor ? { cursor } : {}),
    });
    const found = requests.find((r) => r.payload.revision && r.payload.revision !== sha && /^[0-9a-f]{7,64}$/i.test(r.payload.revision));
    if (found) return found.payload.revision;
    if (!nextCursor) return undefined;
    cursor = nextCursor;
  }
  return undefined;
}

function findEnvironment(environments: readonly Environment[], projectId: string, name: string): Environment | undefined {
  const own = environments.filter((e) => e.projectId === projectId);
  return own.find((e) => e.name === name) ?? own.find((e) => e.name.toLowerCase() === name.toLowerCase());
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

export type WebhookOutcome = { requestId: string; status: ApprovalRequest['status'] } | { refused: string };

/** Turns the event into a request, or into a refusal queued for the run. One transaction for what is written. */
export async function receiveProtectionRule(ctx: ServiceContext, api: GitHubApi, event: ProtectionRuleEvent): Promise<WebhookOutcome> {
  const { store } = ctx;
  const target = { installationId: event.installation.id, url: event.deployment_callback_url };
  const refuseRun = (message: string, tx?: StoreTx): Promise<WebhookOutcome> => {
    const write = async (t: StoreTx) => {
      await queueCallback(t, ctx.now(), target, { environment_name: event.environment, state: 'rejected', comment: refusalComment(message) });
      return { refused: message };
    };
    return tx ? write(tx) : store.transact(write);
  };

  const repository = event.repository.full_name;
  const link = (await store.githubLinks()).find((l: GitHubLink) => l.repository.toLowerCase() === repository.toLowerCase());
  if (!link)
    return refuseRun(
      `the repository ${repository} is not linked to a Gatehouse project (an admin links it on the console's GitHub screen, or with gatehouse github link)`,
    );
  const environment = findEnvironment(await store.list('environment'), link.projectId, event.environment);
  if (!environment) {
    const project = await store.get('project', link.projectId);
    return refuseRun(`project ${project?.name ?? link.projectId} has no environment named "${event.environment}"`);
  }

  const sha = event.deployment.sha.toLowerCase();
  const title = event.pull_requests?.find((p) => p.title)?.title;
  const fallback = `Deploy ${event.deployment.ref ?? sha.slice(0, 12)} from ${repository}`;
  const resource = { environmentId: environment.id };

  // A locked environment answers at once: the change is not even fetched.
  const early = await store.transact(async (tx) => {
    const requester = (await starter(tx, event)) ?? (await serviceUser(ctx, tx));
    const e = await evaluate(ctx, tx, requester, 'release.deploy', resource, title ?? fallback);
    if (e.evaluation.deny?.code !== 'environment_locked') return undefined;
    await refuse(ctx, tx, requester, 'release.deploy', e);
    return refuseRun(e.evaluation.deny.message, tx);
  });
  if (early) return early;

  const base = (await lastApprovedRevision(store, environment.id, sha)) ?? `${sha}^`;
  let change: { diff: string; messages: string[] };
  try {
    change = await api.compare(event.installation.id, repository, base, sha);
  } catch (err) {
    return refuseRun(`the change could not be read from GitHub (compare ${base.slice(0, 12)}...${sha.slice(0, 12)}): ${(err as Error).message}`);
  }
  const message = change.messages.at(-1);
  const justification = (title ?? (message ? firstLine(message) : fallback)).slice(0, 10_000);
  const payload = {
    revision: sha,
    diff: change.diff,
    summary: `GitHub ${event.event ?? 'deployment'} of ${repository}@${event.deployment.ref ?? sha} to ${event.environment}`.slice(0, 10_000),
  };

  return store.transact(async (tx) => {
    const requester = (await starter(tx, event)) ?? (await serviceUser(ctx, tx));
    const e = await evaluate(ctx, tx, requester, 'release.deploy', resource, justification, requestContent(payload));
    if (e.evaluation.outcome === 'deny') {
      await refuse(ctx, tx, requester, 'release.deploy', e);
      return refuseRun(e.evaluation.deny!.message, tx);
    }
    const request = await createRequest(ctx, tx, requester, e, { action: 'release.deploy', justification, payload });
    await tx.putGitHubDeployment({
      requestId: request.id,
      repository,
      installationId: event.installation.id,
      callbackUrl: event.deployment_callback_url,
      environmentName: event.environment,
      reports: 0,
      settled: false,
    });
    return { requestId: request.id, status: request.status };
  });
}
