// Who may call which route: one table, enforced for every route before its handler runs. A route
// missing from the table cannot even be registered (deny by default), so a new route has to say
// who it is for. Checks that depend on the resource (only owners edit owners, a requester can't
// approve their own request, only the holder revokes their session) stay in server/domain.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../../shared/schemas/index.ts';
import {
  BREAKGLASS_AUTHORITY_REFUSAL,
  BREAKGLASS_REVIEW_AUTHORITY_REFUSAL,
  FREEZE_AUTHORITY_REFUSAL,
  isAdmin,
  mayBreakGlass,
  mayFreeze,
  PROTECTION_AUTHORITY_REFUSAL,
  mayReviewBreakGlass,
} from '../../shared/policy/index.ts';
import { HttpError } from './errors.ts';

/**
 * - `public`: no token needed (the health check; an unsubscribe link, which carries its own signature).
 * - `signed-in`: any active user with a valid token.
 * - `admin`: owners and admins.
 * - `freezer`: owners, admins and holders of `release-manager` (freeze authority).
 * - `breakglass`: owners, admins and holders of `breakglass` (break-glass authority).
 * - `auditor`: owners, admins and holders of `auditor` (break-glass review authority).
 */
export type Audience = 'public' | 'signed-in' | 'admin' | 'freezer' | 'breakglass' | 'auditor';

/** Every route: `METHOD /fastify/path` → who may call it. */
export const AUTHORIZATION = {
  'GET /healthz': 'public',

  'GET /api/me': 'signed-in',
  'GET /api/users': 'signed-in',
  'GET /api/users/:id': 'signed-in',
  'POST /api/users': 'admin',
  'PATCH /api/users/:id': 'admin',
  'POST /api/users/:id/deactivate': 'admin',
  'POST /api/users/:id/reactivate': 'admin',
  'POST /api/users/:id/tokens': 'admin',

  'GET /api/tokens': 'signed-in',
  'POST /api/tokens': 'signed-in',
  'DELETE /api/tokens/:id': 'signed-in',

  'GET /api/teams': 'signed-in',
  'POST /api/teams': 'admin',
  'GET /api/projects': 'signed-in',
  'POST /api/projects': 'admin',
  'GET /api/clusters': 'signed-in',
  'POST /api/clusters': 'admin',

  'GET /api/environments': 'signed-in',
  'GET /api/environments/:id': 'signed-in',
  'POST /api/environments': 'admin',
  'PATCH /api/environments/:id': 'freezer',
  'POST /api/environments/:id/freeze': 'freezer',
  'POST /api/environments/:id/unfreeze': 'freezer',

  'GET /api/policies': 'signed-in',
  'GET /api/policies/:id': 'signed-in',
  'POST /api/policies': 'admin',
  'PATCH /api/policies/:id': 'admin',
  'DELETE /api/policies/:id': 'admin',
  // Anyone may dry-run their own request; for someone else or with a draft, owners and admins (checked in server/domain/dry-run.ts).
  'POST /api/policies/evaluate': 'signed-in',
  'GET /api/bindings': 'signed-in',
  'POST /api/bindings': 'admin',
  'DELETE /api/bindings/:id': 'admin',

  'GET /api/requests': 'signed-in',
  'POST /api/requests': 'signed-in',
  'GET /api/requests/:id': 'signed-in',
  'GET /api/requests/:id/diff': 'signed-in',
  'POST /api/requests/:id/approve': 'signed-in',
  'POST /api/requests/:id/reject': 'signed-in',
  'POST /api/requests/:id/nudge': 'signed-in',
  'POST /api/requests/:id/cancel': 'signed-in',

  'GET /api/breakglass': 'signed-in',
  'POST /api/breakglass': 'breakglass',
  'POST /api/breakglass/:id/revoke': 'signed-in',
  'POST /api/breakglass/:id/review': 'auditor',

  'GET /api/audit': 'signed-in',
  'GET /api/audit/verify': 'signed-in',
  'GET /api/audit/export': 'signed-in',
  'GET /api/audit/checkpoints': 'signed-in',
  'GET /api/audit/public-key': 'signed-in',
  'GET /api/sync': 'signed-in',
  'GET /api/events': 'signed-in',

  'GET /api/channels': 'admin',
  'POST /api/channels': 'admin',
  'GET /api/channels/:id': 'admin',
  'PATCH /api/channels/:id': 'admin',
  'DELETE /api/channels/:id': 'admin',
  'GET /api/channels/:id/deliveries': 'admin',
  'POST /api/channels/:id/test': 'admin',
  'POST /api/deliveries/:id/redeliver': 'admin',
  'GET /api/settings': 'signed-in',
  'PATCH /api/settings': 'admin',
  'GET /api/me/preferences': 'signed-in',
  'PATCH /api/me/preferences': 'signed-in',
  // A mail client's one-click unsubscribe carries no session: the link's signature is checked instead.
  'POST /api/unsubscribe/:token': 'public',
  // GitHub signs its webhooks with the App's secret (X-Hub-Signature-256): no bearer token.
  'POST /integrations/github/webhook': 'public',
  'GET /api/integrations/github': 'admin',
  'GET /api/integrations/github/links': 'admin',
  'POST /api/integrations/github/links': 'admin',
  'DELETE /api/integrations/github/links/:id': 'admin',
} as const satisfies Record<string, Audience>;

export type RouteKey = keyof typeof AUTHORIZATION;

const REFUSAL: Record<Exclude<Audience, 'public' | 'signed-in'>, string> = {
  admin: 'only owners and admins can do this',
  freezer: FREEZE_AUTHORITY_REFUSAL,
  breakglass: BREAKGLASS_AUTHORITY_REFUSAL,
  auditor: BREAKGLASS_REVIEW_AUTHORITY_REFUSAL,
};

/** Routes whose refusal names what they do rather than their audience's usual business. */
const ROUTE_REFUSAL: Partial<Record<RouteKey, string>> = {
  'PATCH /api/environments/:id': PROTECTION_AUTHORITY_REFUSAL,
};

/** Does this (signed-in) user belong to the audience? */
export function admits(audience: Audience, user: User): boolean {
  switch (audience) {
    case 'public':
    case 'signed-in':
      return true;
    case 'admin':
      return isAdmin(user);
    case 'freezer':
      return mayFreeze(user);
    case 'breakglass':
      return mayBreakGlass(user);
    case 'auditor':
      return mayReviewBreakGlass(user);
    default:
      audience satisfies never;
      return false;
  }
}

/** HEAD routes Fastify adds for GETs are judged as their GET. */
function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

export function audienceOf(method: string, url: string): Audience | undefined {
  return (AUTHORIZATION as Record<string, Audience>)[routeKey(method, url)];
}

/**
 * Registers the table: a route not in it fails at startup, and every call is checked against it
 * before its handler (and before its body is parsed). Must be registered before any route.
 */
export function registerAuthorization(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (audienceOf(method, route.url) === undefined) {
        throw new Error(`route ${method} ${route.url} is not in the authorization table (server/http/authorization.ts)`);
      }
    }
  });
}

/** The onRequest check, run after bearer auth has set `req.user` (or left a public route alone). */
export function authorize(req: FastifyRequest): void {
  const url = req.routeOptions.url;
  if (url === undefined) return; // no such route: the 404 handler answers
  const audience = audienceOf(req.method, url);
  if (audience === undefined) throw new HttpError(403, 'forbidden', 'this route is not open to anyone');
  if (audience === 'public' || audience === 'signed-in') return;
  if (!admits(audience, req.user)) {
    throw new HttpError(403, 'forbidden', ROUTE_REFUSAL[routeKey(req.method, url) as RouteKey] ?? REFUSAL[audience], { requires: audience });
  }
}

export function isPublicRoute(req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  return url !== undefined && audienceOf(req.method, url) === 'public';
}
