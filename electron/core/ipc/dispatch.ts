// The one place an IPC call is handled, for Electron's ipcMain and for web mode's socket alike:
// validate the channel and input, run the handler, turn any failure into `{ok: false, error}`.
import { z } from 'zod';
import type { ChannelTable, HandlersOf, IpcError, IpcResult } from '../../../shared/ipc/define.ts';

/** An error a handler throws on purpose, with a code the renderer can branch on. */
export class CoreError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function toIpcError(err: unknown): IpcError {
  if (err instanceof CoreError) return { code: err.code, message: err.message, ...(err.status !== undefined ? { status: err.status } : {}) };
  const e = err as { code?: unknown; message?: unknown; status?: unknown };
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    return { code: e.code, message: e.message, ...(typeof e.status === 'number' ? { status: e.status } : {}) };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export function createDispatcher<C extends ChannelTable>(channels: C, handlers: HandlersOf<C>, onUnexpected?: (channel: string, err: unknown) => void) {
  return async function dispatch(channel: unknown, input: unknown): Promise<IpcResult<unknown>> {
    if (typeof channel !== 'string' || !Object.hasOwn(channels, channel)) {
      // Never String() what the caller sent: an object's own toString may be anything.
      const named = typeof channel === 'string' ? JSON.stringify(channel).slice(0, 100) : `of type ${channel === null ? 'null' : typeof channel}`;
      return { ok: false, error: { code: 'unknown_channel', message: `unknown IPC channel ${named}` } };
    }
    const spec = channels[channel]!;
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`).join('; ');
      return { ok: false, error: { code: 'invalid_input', message: `${channel}: ${fields}` } };
    }
    try {
      const handler = handlers[channel as keyof C] as (i: unknown) => Promise<unknown>;
      return { ok: true, data: await handler(parsed.data) };
    } catch (err) {
      if (!(err instanceof CoreError) && !(err instanceof z.ZodError)) onUnexpected?.(channel, err);
      return { ok: false, error: toIpcError(err) };
    }
  };
}
