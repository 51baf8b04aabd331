// Failures of the core's parts, turned into contract errors the console can show in words. Every
// handler is wrapped, so no handler has to catch them itself.
import type { Handlers } from '../../../shared/ipc.ts';
import { ApiError, NetworkError } from '../client/index.ts';
import { CoreError } from '../ipc/dispatch.ts';
import { PreviewInputError } from '../preview/index.ts';
import { SettingsError } from '../settings/index.ts';

function toCoreError(err: unknown): unknown {
  if (err instanceof ApiError) return new CoreError(err.code, err.message, err.status);
  if (err instanceof NetworkError) return new CoreError('offline', `the server can't be reached (${err.message})`);
  if (err instanceof SettingsError) return new CoreError('invalid_input', err.message);
  if (err instanceof PreviewInputError) return new CoreError('invalid_input', err.message, 400);
  return err;
}

export function withCoreErrors(handlers: Handlers): Handlers {
  const wrapped = {} as Record<string, (input: unknown) => Promise<unknown>>;
  for (const [name, fn] of Object.entries(handlers) as [string, (input: unknown) => Promise<unknown>][]) {
    wrapped[name] = (input) => fn(input).catch((err: unknown) => Promise.reject(toCoreError(err)));
  }
  return wrapped as unknown as Handlers;
}
