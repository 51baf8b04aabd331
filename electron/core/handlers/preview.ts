// preview.action: what the server would answer to an action, computed offline from the cache.
import type { Clock } from '../../../shared/clock.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import { requestContent } from '../../../shared/policy/request-content.ts';
import type { Cache } from '../cache/index.ts';
import type { Connection } from '../connection/index.ts';
import { previewAction } from '../preview/index.ts';

export function previewHandlers(cache: Cache, connection: Connection, clock: Clock): Pick<Handlers, 'preview.action'> {
  return {
    'preview.action': async ({ action, resource, justification, revision, diff, cost, plan }) => {
      const directory = {
        environments: cache.list('environment'),
        policies: cache.list('policy'),
        bindings: cache.list('binding'),
        breakGlassSessions: cache.list('breakglass'),
        projects: cache.list('project'),
        clusters: cache.list('cluster'),
        users: cache.list('user'),
        teams: cache.list('team'),
      };
      // Content rules judge every request the server files, so the preview runs them too: without
      // the content, a policy whose rules allow most changes would show its gate on every one.
      const draft = { action, resource, justification, content: requestContent({ revision, diff, cost, plan }) };
      const ev = previewAction(draft, connection.whoAmI(), directory, clock());
      // A 422 says "policy violations"; which policy wants what is in its details, and that is what the user must read.
      const details = ev.deny?.details?.map((d) => d.message) ?? [];
      const message = ev.refusal?.message ?? (details.length ? details.join('; ') : ev.deny?.message);
      const users = new Map(cache.list('user').map((u) => [u.id, u.name]));
      const teams = new Map(cache.list('team').map((t) => [t.id, t.name]));
      const needs = ev.gates.map((g) => ({
        gate: g.name,
        approvals: g.quorum.minApprovals,
        distinctTeams: g.quorum.minDistinctTeams,
        including: [
          ...g.quorum.requiredTeamIds.map((id) => teams.get(id) ?? id),
          ...g.quorum.requiredUserIds.map((id) => users.get(id) ?? id),
          ...g.quorum.requiredOrgRoles.map((r) => `${/^[aeiou]/i.test(r) ? 'an' : 'a'} ${r}`),
        ],
      }));
      return { outcome: ev.outcome, ...(message !== undefined ? { message } : {}), gates: ev.gates.map((g) => g.name), warnings: ev.warnings, needs };
    },
  };
}
