// GitHub deployment protection rules (docs/github.md): the App's webhook (no bearer token: its
// signature is checked against the raw body) and the repository links admins manage.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { CreateGitHubLinkBody, type GitHubLink, type GitHubStatusResponse } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createGitHubLink, deleteGitHubLink } from '../../domain/github-links.ts';
import type { GitHubApi } from '../../github/api.ts';
import { ProtectionRuleEvent, receiveProtectionRule, signatureValid } from '../../github/webhook.ts';
import { HttpError } from '../errors.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export const GITHUB_WEBHOOK_PATH = '/integrations/github/webhook';
/** Deliveries remembered, so GitHub's redelivery of one makes no second request. */
const DELIVERY_KEY_USER = 'github-webhook';

export interface GitHubRouteOptions {
  /** Undefined when serve was started without --github-app-id: the webhook then answers 404. */
  github?: { api: GitHubApi; webhookSecret: string; appId: string };
  /** A run now waits on a request: its worker watches commits. */
  watch: () => void;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function registerGitHubRoutes(app: FastifyInstance, ctx: ServiceContext, options: GitHubRouteOptions): void {
  const { github } = options;
  const link = (l: GitHubLink) => ({ link: l });

  app.get(
    '/api/integrations/github',
    async (): Promise<GitHubStatusResponse> => ({
      configured: github !== undefined,
      ...(github ? { appId: github.appId, apiUrl: github.api.apiUrl } : {}),
      webhookPath: GITHUB_WEBHOOK_PATH,
    }),
  );
  app.get('/api/integrations/github/links', async () => ({ links: await ctx.store.githubLinks() }));
  app.post(
    '/api/integrations/github/links',
    mutationRoute(ctx, CreateGitHubLinkBody, (tx, body, req) => createGitHubLink(ctx, tx, req.user, body), link),
  );
  app.delete<IdParams>(
    '/api/integrations/github/links/:id',
    mutationRoute(ctx, null, (tx, _body, req) => deleteGitHubLink(ctx, tx, req.user, req.params.id), link),
  );

  // Its own scope: the body stays the exact bytes GitHub signed.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post(GITHUB_WEBHOOK_PATH, async (req, reply) => {
      if (!github) throw new HttpError(404, 'not_found', 'the GitHub integration is not configured on this server (serve --github-app-id …)');
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!signatureValid(github.webhookSecret, raw, header(req.headers['x-hub-signature-256']))) {
        throw new HttpError(401, 'invalid_signature', 'X-Hub-Signature-256 is missing or does not match the body under the webhook secret');
      }
      const event = header(req.headers['x-github-event']);
      if (event === 'ping') return { ok: true };
      if (event !== 'deployment_protection_rule') return { ignored: `event ${event ?? '(none)'} is not one Gatehouse acts on` };
      if (!isUtf8(raw)) throw new HttpError(400, 'invalid_request', 'the request body is not valid UTF-8');
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
      }
      const body = parse(ProtectionRuleEvent, json, 'body');
      if (body.action !== 'requested') return { ignored: `action ${body.action} is not one Gatehouse acts on` };
      if (!github.api.ownsUrl(body.deployment_callback_url)) {
        throw new HttpError(400, 'invalid_request', `deployment_callback_url must be a run's callback on ${github.api.apiUrl}`);
      }

      const delivery = header(req.headers['x-github-delivery']);
      const key = delivery && /^[\w-]{1,200}$/.test(delivery) ? delivery : undefined;
      const seen = key ? await ctx.store.idempotent(DELIVERY_KEY_USER, key) : undefined;
      if (seen) return reply.status(seen.status).send(JSON.parse(seen.body) as unknown);

      const outcome = await receiveProtectionRule(ctx, github.api, body);
      if (key) {
        await ctx.store.transact((tx) =>
          tx.saveIdempotent(DELIVERY_KEY_USER, key, { fingerprint: key, status: 202, body: JSON.stringify(outcome), createdAt: ctx.now().toISOString() }),
        );
      }
      options.watch();
      return reply.status(202).send(outcome);
    });
  });
}
