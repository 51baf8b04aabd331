// One-click unsubscribe links: the token names a user and an event and carries the server's HMAC
// of both, so the public route can trust it without a session and nobody can forge one for
// someone else.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotifyEvent } from '../../shared/schemas/index.ts';

const mac = (secret: string, userId: string, event: string) => createHmac('sha256', secret).update(`unsubscribe\n${userId}\n${event}`).digest();

export function unsubscribeToken(secret: string, userId: string, event: NotifyEvent): string {
  return `${Buffer.from(`${userId}\n${event}`).toString('base64url')}.${mac(secret, userId, event).toString('base64url')}`;
}

/** The user and event a token names, or undefined when it is malformed or not ours. */
export function readUnsubscribeToken(secret: string, token: string): { userId: string; event: NotifyEvent } | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const [userId, event, more] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
  const parsed = NotifyEvent.safeParse(event);
  if (!userId || more !== undefined || !parsed.success) return undefined;
  const expected = mac(secret, userId, parsed.data);
  const given = Buffer.from(signature, 'base64url');
  // Only the one spelling we make: base64url's last character has bits no byte uses, so another
  // character there would decode to the same MAC and a changed link would still work.
  if (given.toString('base64url') !== signature || Buffer.from(payload, 'base64url').toString('base64url') !== payload) return undefined;
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { userId, event: parsed.data };
}
