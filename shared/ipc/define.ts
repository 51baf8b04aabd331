// The shape of an IPC contract: each channel has a zod input and output, each pushed event a zod
// payload. Types are inferred from the table; nothing is declared twice.
import { z } from 'zod';

export interface ChannelSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** One line for docs and error messages. */
  description: string;
}

export type ChannelTable = Record<string, ChannelSpec>;
export type EventTable = Record<string, z.ZodType>;

export type ChannelName<C extends ChannelTable> = keyof C & string;
export type InputOf<C extends ChannelTable, K extends keyof C> = z.input<C[K]['input']>;
export type ParsedInputOf<C extends ChannelTable, K extends keyof C> = z.output<C[K]['input']>;
export type OutputOf<C extends ChannelTable, K extends keyof C> = z.output<C[K]['output']>;
export type EventPayload<E extends EventTable, K extends keyof E> = z.output<E[K]>;

/** Main's handlers: one per channel, or the build fails. */
export type HandlersOf<C extends ChannelTable> = {
  [K in keyof C]: (input: ParsedInputOf<C, K>) => Promise<OutputOf<C, K>>;
};

/** What crosses the boundary: errors lose their fields across IPC, so they travel as data. */
export const IpcError = z.object({ code: z.string(), message: z.string(), status: z.number().int().optional() });
export type IpcError = z.infer<typeof IpcError>;
export type IpcResult<T> = { ok: true; data: T } | { ok: false; error: IpcError };
