// channels.*, deliveries.redeliver, orgSettings.*, preferences.*: the server's notifications
// (docs/notifications.md), online only and never cached. The server decides who may (channels and
// deliveries: owners and admins; settings: anyone reads, owners and admins change; preferences:
// the caller's own), so a member's call is refused by the server in its own words.
// A save the server refuses over a field (400 with issues, an unknown project or environment in a
// filter) comes back as `refused` with the field's path, for the form to show at that field.
import { randomUUID } from 'node:crypto';
import type { ChannelSaveResult, FieldIssue, Handlers } from '../../../shared/ipc.ts';
import { ApiError } from '../client/index.ts';
import type { Connection } from '../connection/index.ts';
import { fieldIssues } from './policies.ts';

export interface NotificationDeps {
  connection: Pick<Connection, 'online'>;
}

type NotificationChannels =
  | 'channels.list'
  | 'channels.get'
  | 'channels.create'
  | 'channels.update'
  | 'channels.remove'
  | 'channels.test'
  | 'channels.deliveries'
  | 'deliveries.redeliver'
  | 'orgSettings.get'
  | 'orgSettings.update'
  | 'preferences.get'
  | 'preferences.update';

const CHANNEL_FIELDS = new Set(['name', 'url', 'secret', 'to', 'events', 'projectIds', 'environmentIds']);
/** Refusals that name a filter without saying its field: `unknown project <id>`, `unknown environment <id>`. */
const UNKNOWN_FILTER: [RegExp, string][] = [
  [/^unknown project\b/, 'projectIds'],
  [/^unknown environment\b/, 'environmentIds'],
];

/** The field a refusal's message is about: `projectIds: unknown project "prj_x"`, or `unknown environment env_x`. */
function messageIssue(message: string): FieldIssue | undefined {
  const named = /^(\w+): (.+)$/s.exec(message);
  if (named && CHANNEL_FIELDS.has(named[1]!)) return { path: named[1]!, message: named[2]! };
  const path = UNKNOWN_FILTER.find(([re]) => re.test(message))?.[1];
  return path === undefined ? undefined : { path, message };
}

/** A refusal over a field (400, or 422 for an unknown filter) as `refused`; anything else is thrown on (offline, forbidden, not found…). */
export function channelRefusal(err: unknown): ChannelSaveResult {
  if (err instanceof ApiError && (err.status === 400 || err.status === 422)) {
    const issues = fieldIssues(err.details);
    const fromMessage = issues.length === 0 ? messageIssue(err.message) : undefined;
    if (fromMessage) return { refused: { message: err.message, issues: [fromMessage] } };
    if (err.status === 400) return { refused: { message: err.message, issues } };
  }
  throw err;
}

export function notificationHandlers(d: NotificationDeps): Pick<Handlers, NotificationChannels> {
  const online = () => d.connection.online();
  return {
    'channels.list': async () => ({ channels: await online().channels() }),
    'channels.get': async ({ id }) => ({ channel: await online().channel(id) }),
    'channels.create': async (body) => {
      const client = online();
      return client.createChannel(body, randomUUID()).catch(channelRefusal);
    },
    'channels.update': async ({ id, ...patch }) => {
      const client = online();
      return client.updateChannel(id, patch, randomUUID()).catch(channelRefusal);
    },
    'channels.remove': async ({ id }) => {
      await online().deleteChannel(id, randomUUID());
      return { id };
    },
    'channels.test': async ({ id }) => ({ delivery: await online().testChannel(id, randomUUID()) }),
    'channels.deliveries': async ({ id, status, limit }) => ({
      deliveries: await online().deliveries(id, { ...(status !== undefined ? { status } : {}), ...(limit !== undefined ? { limit } : {}) }),
    }),
    'deliveries.redeliver': async ({ id }) => ({ delivery: await online().redeliver(id, randomUUID()) }),
    'orgSettings.get': async () => ({ settings: await online().orgSettings() }),
    'orgSettings.update': async (patch) => ({ settings: await online().updateOrgSettings(patch, randomUUID()) }),
    'preferences.get': async () => ({ preferences: await online().preferences() }),
    'preferences.update': async (patch) => ({ preferences: await online().updatePreferences(patch, randomUUID()) }),
  };
}
