// The days of a policy's time window, Sunday first (as Date#getDay counts them). Apart from the
// schemas so that code reading a clock (the policy's time conditions, the console's first screen)
// does not build every schema to learn the names of the days.
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
