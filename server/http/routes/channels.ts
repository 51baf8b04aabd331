// Notification channels and their deliveries (owners and admins), org settings, your own email
// preferences, and the public one-click unsubscribe (docs/api.md "Notifications").
import type { FastifyInstance } from 'fastify';
import {
  CreateChannelBody,
  DeliveriesQuery,
  PatchChannelBody,
  PatchPreferencesBody,
  PatchSettingsBody,
  type Channel,
  type Delivery,
  type OrgSettings,
  type Preferences,
} from '../../../shared/schemas/index.ts';
import { createChannel, deleteChannel, getChannel, publicChannel, publicDelivery, redeliver, testChannel, updateChannel } from '../../domain/channels.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { fromDomainError } from '../errors.ts';
import { DomainError } from '../../domain/errors.ts';
import { patchPreferences, patchSettings, unsubscribe } from '../../domain/org-settings.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export interface ChannelRouteOptions {
  /** Where this server is reached (unsubscribe links in a test email). */
  apiBase: () => Promise<string>;
  /** Something was queued: send it now rather than at the next tick. */
  kick: () => void;
}

export function registerChannelRoutes(app: FastifyInstance, ctx: ServiceContext, options: ChannelRouteOptions): void {
  const channel = (c: Channel) => ({ channel: c });
  const delivery = (d: Delivery) => {
    options.kick();
    return { delivery: d };
  };

  app.get('/api/channels', async () => ({ channels: (await ctx.store.listChannels()).map(publicChannel) }));
  app.get<IdParams>('/api/channels/:id', async (req) => ({ channel: publicChannel(await getChannel(ctx.store, req.params.id)) }));
  app.post(
    '/api/channels',
    mutationRoute(
      ctx,
      CreateChannelBody,
      (tx, body, req) => createChannel(ctx, tx, req.user, body),
      (made) => made,
      (made) => ({ channel: made.channel }),
    ),
  );
  app.patch<IdParams>(
    '/api/channels/:id',
    mutationRoute(ctx, PatchChannelBody, (tx, body, req) => updateChannel(ctx, tx, req.user, req.params.id, body), channel),
  );
  app.delete<IdParams>(
    '/api/channels/:id',
    mutationRoute(ctx, null, (tx, _body, req) => deleteChannel(ctx, tx, req.user, req.params.id), channel),
  );
  app.get<IdParams>('/api/channels/:id/deliveries', async (req) => {
    const q = parse(DeliveriesQuery, req.query, 'query');
    await getChannel(ctx.store, req.params.id);
    const list = await ctx.store.deliveries(req.params.id, { ...(q.status ? { status: q.status } : {}), limit: q.limit ?? 100 });
    return { deliveries: list.map(publicDelivery) };
  });
  app.post<IdParams>(
    '/api/channels/:id/test',
    mutationRoute(ctx, null, async (tx, _body, req) => testChannel(ctx, tx, req.user, req.params.id, await options.apiBase()), delivery),
  );
  app.post<IdParams>(
    '/api/deliveries/:id/redeliver',
    mutationRoute(ctx, null, (tx, _body, req) => redeliver(ctx, tx, req.params.id), delivery),
  );

  app.get('/api/settings', async () => ({ settings: await ctx.store.settings() }));
  app.patch(
    '/api/settings',
    mutationRoute(
      ctx,
      PatchSettingsBody,
      (tx, body, req) => patchSettings(ctx, tx, req.user, body),
      (settings: OrgSettings) => ({ settings }),
    ),
  );
  app.get('/api/me/preferences', async (req) => ({ preferences: await ctx.store.preferences(req.user.id) }));
  app.patch(
    '/api/me/preferences',
    mutationRoute(
      ctx,
      PatchPreferencesBody,
      (tx, body, req) => patchPreferences(tx, req.user, body),
      (preferences: Preferences) => ({ preferences }),
    ),
  );

  // Public: a mail client POSTs here (RFC 8058) with no session; the signed token is the authority.
  app.post<{ Params: { token: string } }>('/api/unsubscribe/:token', async (req, reply) => {
    try {
      await ctx.store.transact((tx) => unsubscribe(tx, req.params.token));
    } catch (err) {
      if (err instanceof DomainError) {
        const e = fromDomainError(err);
        return reply.status(e.status).send(e.toBody());
      }
      throw err;
    }
    return reply.status(204).send();
  });
}
