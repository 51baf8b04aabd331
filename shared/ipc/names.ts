// The names alone, without zod, for the preload (which must stay tiny). shared/ipc.ts checks at
// compile time that these lists are exactly the contract's channels and events.
export const CHANNEL_NAMES = [
  'session.get',
  'session.signIn',
  'session.signOut',
  'status.get',
  'directory.get',
  'inbox.query',
  'request.get',
  'request.diff',
  'request.create',
  'request.nudge',
  'outbox.enqueue',
  'outbox.list',
  'outbox.dismiss',
  'preview.action',
  'breakglass.list',
  'audit.page',
  'request.history',
  'audit.verify',
  'audit.export',
  'witness.get',
  'insights.get',

  'settings.get',
  'settings.update',
] as const;
export const EVENT_NAMES = [
  'cache.changed',
  'connection.status',
  'outbox.changed',
  'witness.changed',
  'notification.clicked',
  'navigate',
  'notification.show',
  'notification.close',
] as const;
