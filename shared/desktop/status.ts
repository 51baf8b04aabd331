import { z } from 'zod';

export const ConnectionState = z.enum(['online', 'offline', 'syncing']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const ConnectionStatus = z.object({
  state: ConnectionState,
  progress: z.object({ done: z.number().int(), total: z.number().int().optional() }).optional(),
  error: z.string().optional(),
  lastSyncedAt: z.string().optional(),
});
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;
