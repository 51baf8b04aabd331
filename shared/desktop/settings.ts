// The desktop app's settings file (a JSON config in the app's data dir), parsed with zod with
// defaults and a description per field (one schema gives the type, the defaults and the help text, as Teleport Connect's appConfigSchema does). The API token
// is NOT here: it goes through the injected SecretStore.
import { z } from 'zod';

/** A wall-clock time of day, 24-hour, zero-padded. */
export const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (00:00 to 23:59)')
  .describe('A local time of day, HH:MM (24-hour).');

export const QuietHours = z
  .object({
    start: ClockTime.describe('Quiet hours begin at this local time (HH:MM).'),
    end: ClockTime.describe(
      'Quiet hours end at this local time (HH:MM), exclusive. An end before the start wraps past midnight (22:00 → 07:00); an end equal to the start is refused (it would silence nothing, or everything).',
    ),
  })
  // 09:00–09:00 reads as "all day" to some and "never" to others: refused rather than guessed.
  .refine((q) => q.start !== q.end, { path: ['end'], message: 'must differ from the start (to silence nothing, turn quiet hours off)' })
  .describe('While the local time is in [start, end), every notification except break-glass is suppressed.');
export type QuietHours = z.infer<typeof QuietHours>;

const BREAK_GLASS_ALWAYS = 'break-glass notifications cannot be turned off (a break-glass session is a security event)';

export const NotificationSettings = z
  .object({
    enabled: z.boolean().default(true).describe('Show OS notifications at all. Break-glass notifications are shown even when this is off.'),
    newRequests: z.boolean().default(true).describe('Notify about new requests that I can approve.'),
    myRequests: z.boolean().default(true).describe('Notify when one of my requests is approved, rejected or expires, or someone else cancels it.'),
    freezes: z.boolean().default(true).describe('Notify when an environment is frozen or unfrozen.'),
    breakGlass: z
      .literal(true, { error: BREAK_GLASS_ALWAYS })
      .default(true)
      .describe(
        'Always true and not switchable: a break-glass session started by anyone is a security event, so it is notified (marked urgent) even during quiet hours and even when notifications are disabled.',
      ),
    quietHours: QuietHours.optional().describe(QuietHours.description!),
    coalesceWindowMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(10_000)
      .describe('New approvable requests arriving within this many milliseconds of each other are shown as one notification.'),
  })
  .describe('OS notifications raised by the desktop app.');
export type NotificationSettings = z.infer<typeof NotificationSettings>;

export const DiffPrefetchSettings = z
  .object({
    enabled: z.boolean().default(true).describe('Download the diffs of pending requests in the background, for offline review.'),
    budgetMiB: z
      .number({ error: 'must be a number of MiB' })
      .int('must be a whole number of MiB')
      .min(0, 'must be 0 MiB or more')
      .max(16_384, 'must be at most 16384 MiB (16 GiB)')
      .default(256)
      .describe('The most disk space, in MiB, that prefetched diffs may use.'),
  })
  .describe('Background download of request diffs.');
export type DiffPrefetchSettings = z.infer<typeof DiffPrefetchSettings>;

export const THEMES = ['system', 'light', 'dark'] as const;
export const Theme = z.enum(THEMES).describe('The colour theme; "system" follows the OS.');
export type Theme = z.infer<typeof Theme>;

export const DIFF_MODES = ['unified', 'split'] as const;
export const DiffMode = z.enum(DIFF_MODES).describe('How diffs are laid out: one column (unified) or old and new side by side (split).');
export type DiffMode = z.infer<typeof DiffMode>;

export const ServerUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .describe('The Gatehouse server this app syncs with (http or https). Unset until the user signs in.');

export const AppSettings = z
  .object({
    serverUrl: ServerUrl.optional().describe(ServerUrl.description!),
    notifications: NotificationSettings.prefault({}).describe(NotificationSettings.description!),
    diffPrefetch: DiffPrefetchSettings.prefault({}).describe(DiffPrefetchSettings.description!),
    theme: Theme.default('system').describe(Theme.description!),
    diffMode: DiffMode.default('unified').describe(DiffMode.description!),
  })
  .describe('Gatehouse desktop settings. The API token is not stored here.');
export type AppSettings = z.infer<typeof AppSettings>;
/** The settings file's shape as written by hand (every field optional). */
export type AppSettingsInput = z.input<typeof AppSettings>;

/**
 * A change to the settings, deep-merged into the current ones. Unknown fields are refused (a typo
 * must not be silently dropped); `null` removes an optional field (quietHours). The server URL is
 * not here: the stored token is sent to it at the next launch, so it changes only by signing in
 * (which checks the token against that server) or out, never by a settings update from the page.
 */
export const SettingsPatch = z.strictObject({
  notifications: z
    .strictObject({
      enabled: z.boolean().optional(),
      newRequests: z.boolean().optional(),
      myRequests: z.boolean().optional(),
      freezes: z.boolean().optional(),
      breakGlass: z.literal(true, { error: BREAK_GLASS_ALWAYS }).optional(),
      quietHours: QuietHours.nullable().optional(),
      coalesceWindowMs: NotificationSettings.shape.coalesceWindowMs.unwrap().optional(),
    })
    .optional(),
  diffPrefetch: z
    .strictObject({
      enabled: z.boolean().optional(),
      budgetMiB: DiffPrefetchSettings.shape.budgetMiB.unwrap().optional(),
    })
    .optional(),
  theme: Theme.optional(),
  diffMode: DiffMode.optional(),
});
export type SettingsPatch = z.input<typeof SettingsPatch>;

export function defaultSettings(): AppSettings {
  return AppSettings.parse({});
}

/** "notifications.quietHours.start: must be a time of day as HH:MM (…)"; one line per issue. */
export function describeIssues(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => {
    let field = issue.path.map(String).join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      field = [...issue.path.map(String), keys[0] ?? ''].filter((s) => s !== '').join('.');
      message = `unknown setting${keys.length === 1 ? '' : 's'} ${keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return { field: field === '' ? '(root)' : field, message };
  });
}

/** Merges a validated patch into settings; the result is parsed again by the caller. */
export function mergePatch(current: AppSettings, patch: z.output<typeof SettingsPatch>): AppSettingsInput {
  const next: AppSettingsInput = {
    ...current,
    notifications: { ...current.notifications },
    diffPrefetch: { ...current.diffPrefetch },
  };
  if (patch.theme !== undefined) next.theme = patch.theme;
  if (patch.diffMode !== undefined) next.diffMode = patch.diffMode;
  if (patch.notifications) {
    const { quietHours, ...rest } = patch.notifications;
    const n = { ...next.notifications, ...definedOnly(rest) };
    if (quietHours === null) delete n.quietHours;
    else if (quietHours !== undefined) n.quietHours = quietHours;
    next.notifications = n;
  }
  if (patch.diffPrefetch) next.diffPrefetch = { ...next.diffPrefetch, ...definedOnly(patch.diffPrefetch) };
  return next;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
