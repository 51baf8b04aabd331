// The store's "the database can't be reached right now": a lost connection, a server shutting
// down or refusing connections while it starts. Not the caller's fault and not a bug, so the HTTP
// layer answers 503 `unavailable` with Retry-After instead of 500; the store reconnects by itself
// (a pool makes a new connection for the next query), so the same process works again once the
// database is back.
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Node's socket errors for a connection that could not be made or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL's SQLSTATEs for the same: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres's own errors for a connection it lost (they carry no code). */
const CLIENT_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

/** Whether `err` means the database is out of reach (class 08 is "connection exception"). */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (err instanceof AggregateError) return err.errors.some(isConnectionError);
  return CLIENT_MESSAGES.test(err.message);
}

/** `err` as a StoreUnavailableError if it is a connection error, else unchanged. */
export function unavailableIfConnection(err: unknown): unknown {
  return err instanceof StoreUnavailableError || !isConnectionError(err) ? err : new StoreUnavailableError(err);
}
