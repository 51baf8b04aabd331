// Notifications (docs/notifications.md): the channels an admin configures, their deliveries, the
// organisation's settings and each user's email preferences. Bodies and answers of their routes.
import { z } from 'zod';
import { Id, IsoTime } from './domain.ts';

export const NOTIFY_EVENTS = [
  'request.pending',
  'request.decided',
  'request.updated',
  'request.reminder',
  'request.escalated',
  'request.expiring',
  'breakglass.started',
  'breakglass.ended',
  'environment.frozen',
  'environment.unfrozen',
] as const;
export const NotifyEvent = z.enum(NOTIFY_EVENTS);
export type NotifyEvent = z.infer<typeof NotifyEvent>;
/** What a test-send delivers: not an event anyone subscribes to. */
export const TEST_EVENT = 'channel.test';

export const CHANNEL_KINDS = ['webhook', 'slack', 'email'] as const;
export const ChannelKind = z.enum(CHANNEL_KINDS);
export type ChannelKind = z.infer<typeof ChannelKind>;

export const MAX_EMAIL_RECIPIENTS = 100;
export const WEBHOOK_SECRET_MIN = 16;

const Name = z.string().trim().min(1).max(200);
const Url = z
  .string()
  .trim()
  .max(2000)
  .refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), 'must be an http:// or https:// URL');
const Email = z.string().trim().max(320).pipe(z.email());
const Secret = z.string().min(WEBHOOK_SECRET_MIN, `must be at least ${WEBHOOK_SECRET_MIN} characters`).max(512);
const Events = z.array(NotifyEvent).min(1, 'name at least one event').max(NOTIFY_EVENTS.length);
const Ids = z.array(Id).max(1000);

/** A channel as the API shows it: the webhook secret never leaves the server after it is made. */
export const Channel = z.object({
  id: Id,
  kind: ChannelKind,
  name: Name,
  url: z.string().optional(),
  hasSecret: z.boolean().optional(),
  to: z.array(z.string()).optional(),
  events: z.array(NotifyEvent),
  projectIds: z.array(Id).optional(),
  environmentIds: z.array(Id).optional(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type Channel = z.infer<typeof Channel>;

const CHANNEL_FIELDS = {
  name: Name,
  url: Url.optional(),
  secret: Secret.optional(),
  to: z.array(Email).min(1).max(MAX_EMAIL_RECIPIENTS).optional(),
  events: Events,
  projectIds: Ids.optional(),
  environmentIds: Ids.optional(),
};

/** Which fields each kind takes: a webhook or Slack channel has a URL, only a webhook a secret, only email `to`. */
function fieldsFitKind(c: { kind?: ChannelKind; url?: string | undefined; secret?: string | undefined; to?: string[] | undefined }, ctx: z.RefinementCtx) {
  if (c.kind === undefined) return;
  if (c.kind !== 'email' && c.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${c.kind} channel needs a url` });
  if (c.kind === 'email' && c.url !== undefined)
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'an email channel has no url (it sends over the server’s SMTP)' });
  if (c.kind !== 'webhook' && c.secret !== undefined) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'only a webhook channel has a secret' });
  if (c.kind !== 'email' && c.to !== undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'only an email channel has recipients (to)' });
}

export const CreateChannelBody = z.strictObject({ kind: ChannelKind, ...CHANNEL_FIELDS }).superRefine(fieldsFitKind);
export type CreateChannelBody = z.infer<typeof CreateChannelBody>;

/** A patch: `null` clears an optional field (`to: null`: back to the people concerned). The kind is fixed. */
export const PatchChannelBody = z.strictObject({
  name: Name.optional(),
  url: Url.optional(),
  secret: Secret.optional(),
  to: CHANNEL_FIELDS.to.unwrap().nullable().optional(),
  events: Events.optional(),
  projectIds: Ids.nullable().optional(),
  environmentIds: Ids.nullable().optional(),
});
export type PatchChannelBody = z.infer<typeof PatchChannelBody>;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const DeliveryStatus = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const Delivery = z.object({
  id: Id,
  channelId: Id,
  event: z.string(),
  /** The request, session or environment it is about. */
  subject: z.string().optional(),
  /** Email: the one address this delivery goes to. */
  to: z.string().optional(),
  status: DeliveryStatus,
  attempts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
  createdAt: IsoTime,
  nextAttemptAt: IsoTime.optional(),
  deliveredAt: IsoTime.optional(),
});
export type Delivery = z.infer<typeof Delivery>;

export const ChannelResponse = z.object({ channel: Channel });
/** A webhook channel's secret, shown in the answer that made it (or set a new one), never again. */
export const CreatedChannelResponse = z.object({ channel: Channel, secret: z.string().optional() });
export const ChannelsResponse = z.object({ channels: z.array(Channel) });
export const DeliveriesResponse = z.object({ deliveries: z.array(Delivery) });
export const DeliveryResponse = z.object({ delivery: Delivery });
export const DeliveriesQuery = z.strictObject({
  status: DeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const REMINDER_MIN_MINUTES = 1;
export const REMINDER_MAX_MINUTES = 10_080;
export const DEFAULT_REMINDER_MINUTES = 60;

export const OrgSettings = z.object({
  reminderAfterMinutes: z.number().int(),
  securityTeamIds: z.array(Id),
  publicUrl: z.string().optional(),
});
export type OrgSettings = z.infer<typeof OrgSettings>;
export const DEFAULT_SETTINGS: OrgSettings = { reminderAfterMinutes: DEFAULT_REMINDER_MINUTES, securityTeamIds: [] };

export const PatchSettingsBody = z.strictObject({
  reminderAfterMinutes: z.number().int().min(REMINDER_MIN_MINUTES).max(REMINDER_MAX_MINUTES).optional(),
  securityTeamIds: Ids.optional(),
  /** Where the web console is reached; links in messages start with it. `null` removes it. */
  publicUrl: Url.nullable().optional(),
});
export type PatchSettingsBody = z.infer<typeof PatchSettingsBody>;
export const SettingsResponse = z.object({ settings: OrgSettings });

/** Which events a user wants by email (from channels that send to "the people concerned"). */
export const Preferences = z.object({ email: z.object({ events: z.array(NotifyEvent) }) });
export type Preferences = z.infer<typeof Preferences>;
export const DEFAULT_PREFERENCES: Preferences = { email: { events: [...NOTIFY_EVENTS] } };
export const PatchPreferencesBody = z.strictObject({ email: z.strictObject({ events: z.array(NotifyEvent).max(NOTIFY_EVENTS.length) }) });
export type PatchPreferencesBody = z.infer<typeof PatchPreferencesBody>;
export const PreferencesResponse = z.object({ preferences: Preferences });
