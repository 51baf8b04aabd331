// session.json: who was signed in to which server. Read at every connect, so that offline the app
// still knows who it is (the user comes from the cache), and so that connecting to another server
// first forgets the previous one's cache.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-write.ts';

export interface SessionFile {
  serverUrl: string;
  userId: string;
}

/** The remembered session, or undefined if there is none (or it is unreadable: then it is as if none). */
export function readSessionFile(file: string): SessionFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SessionFile;
  } catch {
    return undefined;
  }
}

export function writeSessionFile(file: string, session: SessionFile): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(session satisfies SessionFile), { mode: 0o600 });
}
