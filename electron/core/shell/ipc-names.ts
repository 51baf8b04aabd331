/** Each contract channel travels on its own Electron channel `gatehouse:<name>`. */
export const INVOKE_PREFIX = 'gatehouse:';
/** Pushed events travel on `gatehouse:event:<name>`. */
export const EVENT_PREFIX = 'gatehouse:event:';
