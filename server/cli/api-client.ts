// The HTTP client of the CLI's client commands (deploy, policy): one bearer token, JSON in and out,
// answers checked against the shared response schemas.
import type { z } from 'zod';
import { ErrorBody } from '../../shared/schemas/index.ts';
import { UsageError } from './args.ts';

/** The server could not be reached or answered something that is not the API: not the user's input. */
export class ServerTalkError extends UsageError {}

export type ApiError = ErrorBody['error'];

export class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}
  async call<S extends z.ZodType>(
    schema: S,
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; data?: z.infer<S>; error?: ApiError }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${this.token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new ServerTalkError(`cannot reach ${this.base}: ${(err as Error).message}`);
    }
    const json: unknown = await res.json().catch(() => undefined);
    if (res.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new ServerTalkError(`unexpected response from ${path}: ${parsed.error.message}`);
      return { status: res.status, data: parsed.data };
    }
    const err = ErrorBody.safeParse(json);
    return { status: res.status, error: err.success ? err.data.error : { code: 'http_error', message: `HTTP ${res.status}` } };
  }
}
