import type { FastifyInstance } from 'fastify';
import { ApproveBody, CreateRequestBody, NudgeBody, FreezeBody, ListRequestsQuery, RejectBody, StartBreakGlassBody, UnfreezeBody, BreakGlassListQuery } from '../../../shared/schemas/index.ts';
import { canApprove, evaluateProgress } from '../../../shared/policy/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { cancel, decide, nudge, submitRequest } from '../../domain/requests.ts';
import { freeze, unfreeze } from '../../domain/environments.ts';
import { isActive, revokeBreakGlass, startBreakGlass } from '../../domain/breakglass.ts';
import { REQUEST_BODY_LIMIT, send } from '../app.ts';
import { HttpError } from '../errors.ts';
import { mutation, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

const requestNotFound = () => new HttpError(404, 'not_found', 'request not found');

export function registerRequestRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;

  app.post('/api/requests', { bodyLimit: REQUEST_BODY_LIMIT }, async (req, reply) => {
    const body = parse(CreateRequestBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => submitRequest(ctx, tx, req.user, body)));
  });

  app.get('/api/requests', async (req) => {
    const q = parse(ListRequestsQuery, req.query, 'query');
    if (q.cursor !== undefined && !/^\d{1,15}$/.test(q.cursor)) throw new HttpError(400, 'invalid_request', 'invalid query: cursor must come from a previous nextCursor');
    return store.listRequests({
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.environmentId ? { environmentId: q.environmentId } : {}),
      ...(q.projectId ? { projectId: q.projectId } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  });

  app.get<IdParams>('/api/requests/:id', async (req) => {
    const request = await store.get('request', req.params.id);
    if (!request) throw requestNotFound();
    const users = await store.list('user');
    const byId = new Map(users.map((u) => [u.id, u]));
    const teams = new Map((await store.list('team')).map((t) => [t.id, t.name]));
    const progress = evaluateProgress(request, byId, { user: (id) => byId.get(id)?.name, team: (id) => teams.get(id) });
    return { request, progress, canApprove: canApprove(request, req.user) };
  });

  app.get<IdParams>('/api/requests/:id/diff', async (req, reply) => {
    const request = await store.get('request', req.params.id);
    const diff = request && (await store.requestDiff(req.params.id));
    if (!request || diff === undefined) throw requestNotFound();
    const etag = `"${request.digest}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.type('text/plain; charset=utf-8').send(diff);
  });

  app.post<IdParams>('/api/requests/:id/approve', async (req, reply) => {
    const body = parse(ApproveBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => decide(ctx, tx, req.user, req.params.id, 'approve', body)));
  });
  app.post<IdParams>('/api/requests/:id/reject', async (req, reply) => {
    const body = parse(RejectBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => decide(ctx, tx, req.user, req.params.id, 'reject', body)));
  });
  app.post<IdParams>('/api/requests/:id/nudge', async (req, reply) => {
    const body = parse(NudgeBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => nudge(ctx, tx, req.user, req.params.id, body)));
  });
  app.post<IdParams>('/api/requests/:id/cancel', async (req, reply) => send(reply, await mutation(ctx, req, null, (tx) => cancel(ctx, tx, req.user, req.params.id))));

  app.post<IdParams>('/api/environments/:id/freeze', async (req, reply) => {
    const body = parse(FreezeBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => freeze(ctx, tx, req.user, req.params.id, body)));
  });
  app.post<IdParams>('/api/environments/:id/unfreeze', async (req, reply) => {
    const body = parse(UnfreezeBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => unfreeze(ctx, tx, req.user, req.params.id, body)));
  });

  app.post('/api/breakglass', async (req, reply) => {
    const body = parse(StartBreakGlassBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => startBreakGlass(ctx, tx, req.user, body)));
  });
  app.get('/api/breakglass', async (req) => {
    const q = parse(BreakGlassListQuery, req.query, 'query');
    if (q.active === 'true') return { sessions: await store.activeSessions(ctx.now()) };
    const all = await store.list('breakglass');
    const now = ctx.now();
    return { sessions: q.active === 'false' ? all.filter((s) => !isActive(s, now)) : all };
  });
  app.post<IdParams>('/api/breakglass/:id/revoke', async (req, reply) => send(reply, await mutation(ctx, req, null, (tx) => revokeBreakGlass(ctx, tx, req.user, req.params.id))));
}
