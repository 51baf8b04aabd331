export { Notifier, approvableCount, notifierClock } from './notifier.ts';
export { CountPublisher } from './count-publisher.ts';
export type { NotifierClock, NotifierDirectory, NotifierOptions, ObserveOptions, PreviousState } from './notifier.ts';
export { inQuietHours, minutesOfDay } from './quiet-hours.ts';
