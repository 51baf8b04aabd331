import type { FastifyInstance } from 'fastify';
import { ApproveBody, CreateRequestBody, ListRequestsQuery, NudgeBody, RejectBody } from '../../../shared/schemas/index.ts';
import { canApprove, evaluateProgress } from '../../../shared/policy/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { notFound } from '../../domain/errors.ts';
import { cancel, decide, nudge, submitRequest } from '../../domain/requests.ts';
import { REQUEST_BODY_LIMIT } from '../body-limits.ts';
import { HttpError } from '../errors.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export function registerRequestRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;
  const present = (request: unknown) => ({ request });

  app.post(
    '/api/requests',
    { bodyLimit: REQUEST_BODY_LIMIT },
    mutationRoute(ctx, CreateRequestBody, (tx, body, req) => submitRequest(ctx, tx, req.user, body), present),
  );

  app.get('/api/requests', async (req) => {
    const q = parse(ListRequestsQuery, req.query, 'query');
    if (q.cursor !== undefined && !/^\d{1,15}$/.test(q.cursor))
      throw new HttpError(400, 'invalid_request', 'invalid query: cursor must come from a previous nextCursor');
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
    if (!request) throw notFound('request');
    const users = await store.list('user');
    const byId = new Map(users.map((u) => [u.id, u]));
    const teams = new Map((await store.list('team')).map((t) => [t.id, t.name]));
    const progress = evaluateProgress(request, byId, { user: (id) => byId.get(id)?.name, team: (id) => teams.get(id) });
    return { request, progress, canApprove: canApprove(request, req.user) };
  });

  app.get<IdParams>('/api/requests/:id/diff', async (req, reply) => {
    const request = await store.get('request', req.params.id);
    const diff = request && (await store.requestDiff(req.params.id));
    if (!request || diff === undefined) throw notFound('request');
    const etag = `"${request.digest}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.type('text/plain; charset=utf-8').send(diff);
  });

  app.post<IdParams>(
    '/api/requests/:id/approve',
    mutationRoute(ctx, ApproveBody, (tx, body, req) => decide(ctx, tx, req.user, req.params.id, 'approve', body), present),
  );
  app.post<IdParams>(
    '/api/requests/:id/reject',
    mutationRoute(ctx, RejectBody, (tx, body, req) => decide(ctx, tx, req.user, req.params.id, 'reject', body), present),
  );
  app.post<IdParams>(
    '/api/requests/:id/nudge',
    mutationRoute(ctx, NudgeBody, (tx, body, req) => nudge(ctx, tx, req.user, req.params.id, body), present),
  );
  app.post<IdParams>(
    '/api/requests/:id/cancel',
    mutationRoute(ctx, null, (tx, _body, req) => cancel(ctx, tx, req.user, req.params.id), present),
  );
}
