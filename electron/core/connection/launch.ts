// Which server the core connects to when it starts: one given on the command line, else the one
// signed in to last time (its token in the secret store), else the embedded demo backend if this
// build has one; otherwise nobody is signed in until the user signs in.
import type { Clock } from '../../../shared/clock.ts';
import type { SecretStore } from '../contracts.ts';
import type { EmbeddedBackend } from '../embedded-backend-child.ts';
import type { Connection } from './connection.ts';

export interface LaunchOptions {
  server?: { url: string; token: string } | undefined;
  /** The settings' server URL (null when signed out). */
  savedServerUrl: string | null | undefined;
  secrets: SecretStore;
  startEmbedded?: ((dataDir: string, log: (line: string) => void, clock: Clock) => Promise<EmbeddedBackend>) | undefined;
  dataDir: string;
  clock: Clock;
  log: (line: string) => void;
}

export async function connectAtLaunch(connection: Connection, o: LaunchOptions): Promise<void> {
  if (o.server) {
    await o.secrets.set(o.server.token);
    await connection.connect(o.server.url, o.server.token);
    return;
  }
  const token = o.savedServerUrl ? await o.secrets.get() : undefined;
  if (o.savedServerUrl && token) await connection.connect(o.savedServerUrl, token);
  else if (o.startEmbedded) {
    const backend = await o.startEmbedded(o.dataDir, o.log, o.clock);
    await connection.connect(backend.url, backend.token, backend);
  }
}
