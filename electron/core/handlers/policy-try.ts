// policy.try and policy.replay: a draft policy judged beside the saved ones, offline from the
// cache (they must answer with the server unreachable: an editor tries a rule before saving it).
import type { Clock } from '../../../shared/clock.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import { replayDraft } from '../../../shared/policy/replay.ts';
import { requestContent } from '../../../shared/policy/request-content.ts';
import { draftPolicyId, verdictOf, withDraft } from '../../../shared/policy/try-draft.ts';
import type { PolicyDraft } from '../../../shared/schemas/api.ts';
import type { Cache } from '../cache/index.ts';
import type { Connection } from '../connection/index.ts';
import { PreviewInputError, previewAction } from '../preview/index.ts';
import { teamsById, usersById } from './lookups.ts';

const KINDS = { project: 'project', cluster: 'cluster', environment: 'environment' } as const;

/** A draft bound to something the cache does not know would be refused by the server when saved. */
function checkBindings(cache: Cache, draft: PolicyDraft): void {
  draft.bindings.forEach((b, i) => {
    if (b.scope === 'organization' || b.targetId === undefined) return;
    if (!cache.list(KINDS[b.scope]).some((x) => x.id === b.targetId)) {
      throw new PreviewInputError(`draft.bindings.${i}.targetId: unknown ${b.scope} "${b.targetId}"`);
    }
  });
}

export function policyTryHandlers(cache: Cache, connection: Connection, clock: Clock): Pick<Handlers, 'policy.try' | 'policy.replay'> {
  return {
    'policy.try': async ({ draft, action, resource, requesterId, justification, revision, diff, cost, plan }) => {
      checkBindings(cache, draft);
      const users = usersById(cache);
      const requester = requesterId === undefined ? connection.whoAmI() : users.get(requesterId);
      if (requester === undefined) throw new PreviewInputError(`requesterId: unknown user "${requesterId}"`);
      const saved = { policies: cache.list('policy'), bindings: cache.list('binding') };
      const directory = {
        environments: cache.list('environment'),
        breakGlassSessions: cache.list('breakglass'),
        projects: cache.list('project'),
        clusters: cache.list('cluster'),
        users: cache.list('user'),
        teams: cache.list('team'),
      };
      const now = clock();
      const names = { users, teams: teamsById(cache) };
      const id = draftPolicyId(draft);
      const drafted = withDraft(saved, draft);
      // Risk facts as the server computes them when the request is made: from the diff, none without one.
      const ask = { action, resource, justification, content: requestContent({ revision, diff, cost, plan }) };
      const before = previewAction(ask, requester, { ...directory, ...saved }, now);
      const after = previewAction(ask, requester, { ...directory, policies: drafted.policies, bindings: drafted.bindings }, now);
      return { saved: verdictOf(before, requester.id, names, id), draft: verdictOf(after, requester.id, names, id), requesterId: requester.id };
    },
    'policy.replay': async ({ draft, days }) => {
      checkBindings(cache, draft);
      return replayDraft({
        draft,
        saved: { policies: cache.list('policy'), bindings: cache.list('binding') },
        requests: cache.list('request'),
        users: usersById(cache),
        teams: teamsById(cache),
        environments: cache.list('environment'),
        breakGlassSessions: cache.list('breakglass'),
        nowMs: clock().getTime(),
        days,
      });
    },
  };
}
