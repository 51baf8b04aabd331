// The desktop's pull: every synced entity changed after the cursor, with this database's id so a
// client can tell it is talking to a different (or recreated) server.
import type { FastifyInstance } from 'fastify';
import { SyncQuery } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { parse } from '../validate.ts';

export function registerSyncRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/api/sync', async (req) => {
    const q = parse(SyncQuery, req.query, 'query');
    return { ...(await ctx.store.syncPage(q.cursor, q.limit)), serverId: await ctx.store.instanceId() };
  });
}
