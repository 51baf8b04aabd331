// Sending one delivery: a signed webhook POST, a Slack POST, or an email over SMTP. A failure
// throws with the words the delivery log shows.
import { createHmac } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import type { StoredChannel, StoredDelivery } from '../store/types.ts';
import type { EmailMessage } from './messages.ts';

/** How long a peer has to answer. */
export const SEND_TIMEOUT_MS = 10_000;

export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Gatehouse-Hookshot', ...headers },
      body,
      // A receiver moved elsewhere is a configuration to fix, not something to follow blindly.
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') throw new Error(`no answer within ${SEND_TIMEOUT_MS / 1000} s`);
    throw new Error(e.cause?.code ? `${e.cause.code}: ${e.cause.message ?? e.message}` : e.message);
  }
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
  close(): void;
}

/** A pooled SMTP connection to `--smtp-url`, sending as `--mail-from`. */
export function smtpMailer(url: string, from: string): Mailer {
  const transport: Transporter = createTransport({
    url,
    pool: true,
    maxConnections: 4,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  return {
    async send(m) {
      await transport.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        ...(m.unsubscribe ? { headers: { 'List-Unsubscribe': `<${m.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
      });
    },
    close: () => transport.close(),
  };
}

export const NO_SMTP = 'this server has no SMTP server (serve --smtp-url)';

export async function send(channel: StoredChannel, delivery: StoredDelivery, nowMs: number, mailer: Mailer | undefined): Promise<void> {
  switch (channel.kind) {
    case 'webhook': {
      const timestamp = Math.floor(nowMs / 1000);
      const headers: Record<string, string> = {
        'x-gatehouse-event': delivery.event,
        'x-gatehouse-delivery': delivery.id,
        'x-gatehouse-timestamp': String(timestamp),
      };
      if (channel.secret) headers['x-gatehouse-signature'] = signature(channel.secret, timestamp, delivery.body);
      return post(channel.url!, delivery.body, headers);
    }
    case 'slack':
      return post(channel.url!, delivery.body, {});
    case 'email':
      if (!mailer) throw new Error(NO_SMTP);
      return mailer.send(JSON.parse(delivery.body) as EmailMessage);
  }
}
