import { z } from 'zod';
import { HttpError } from './errors.ts';

/** Parses untrusted input; a failure is 400 invalid_request with the zod issues as details. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> {
  const result = schema.safeParse(value === undefined && where === 'body' ? {} : value);
  if (result.success) return result.data;
  throw new HttpError(400, 'invalid_request', `invalid ${where}: ${z.prettifyError(result.error)}`, result.error.issues);
}
