export { Notifier, approvableCount } from './notifier.ts';
export type { NotificationTarget, NotifierClock, NotifierDirectory, NotifierOptions, ObserveOptions, PreviousState } from './notifier.ts';
export { inQuietHours, minutesOfDay } from './quiet-hours.ts';
