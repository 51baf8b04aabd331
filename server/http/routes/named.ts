// Teams, projects and clusters: named things with the same two routes each.
import type { FastifyInstance } from 'fastify';
import { NamedBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createNamed } from '../../domain/directory.ts';
import { mutationRoute } from '../mutation.ts';

export function registerNamedRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  for (const [entity, plural] of [
    ['team', 'teams'],
    ['project', 'projects'],
    ['cluster', 'clusters'],
  ] as const) {
    app.post(
      `/api/${plural}`,
      mutationRoute(
        ctx,
        NamedBody,
        (tx, body, req) => createNamed(ctx, tx, req.user, entity, body),
        (value) => ({ [entity]: value }),
      ),
    );
    app.get(`/api/${plural}`, async () => ({ [plural]: await ctx.store.list(entity) }));
  }
}
