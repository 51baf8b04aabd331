/** The one Electron IPC channel every contract call travels on; the contract names the rest. */
export const INVOKE_CHANNEL = 'gatehouse:invoke';
/** Pushed events travel on `gatehouse:event:<name>`. */
export const EVENT_PREFIX = 'gatehouse:event:';
