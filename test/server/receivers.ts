// In-process peers for the notification suites, on 127.0.0.1 and free ports: a webhook receiver
// that checks every request as docs/api.md tells a real receiver to, a Slack-like incoming webhook
// and an SMTP server. They record what they were sent; what they saw wrong lands in `problems`
// rather than in an exception, because it happens inside a request handler the test does not await.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Clock } from '../../shared/clock.ts';
import { testClock } from '../clock.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `pick` returns something; the error names `what` and shows `seen` so a miss says why. */
export async function until<T>(pick: () => T | undefined, what: string, seen: () => string, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = pick();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; seen: ${seen()}`);
    await sleep(25);
  }
}

type Mode = 'up' | 'unavailable' | 'refusing';

/**
 * An HTTP server that can be taken down: answering 503, or closed so connections are refused,
 * and brought back on the same port (the channel's URL does not change).
 */
export abstract class HttpPeer {
  port = 0;
  protected mode: Mode = 'up';
  protected readonly server: http.Server;

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
  }

  protected abstract handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void;

  protected async listen(port: number): Promise<void> {
    await new Promise<void>((res, rej) => {
      this.server.once('error', rej);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', rej);
        res();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `unavailable`: every request is answered 503. `refusing`: the port is closed. */
  async down(how: Exclude<Mode, 'up'>): Promise<void> {
    if (how === 'refusing' && this.mode !== 'refusing') await this.closeServer();
    this.mode = how;
  }

  async up(): Promise<void> {
    if (this.mode === 'refusing') await this.listen(this.port);
    this.mode = 'up';
  }

  private async closeServer(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    // keep-alive sockets would otherwise keep the old listener answering
    this.server.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    if (this.mode !== 'refusing') await this.closeServer();
    this.mode = 'refusing';
  }
}

// ---- webhooks ------------------------------------------------------------------------------------

export interface WebhookBody {
  id: string;
  event: string;
  at: string;
  /** Checked field by field by the tests. */
  data: any;
}

export interface WebhookHit {
  /** The path it was posted to: which channel sent it. */
  path: string;
  status: number;
  /** Set when the request passed every check (absent: it was answered 400). */
  body?: WebhookBody;
  timestamp: number;
  /** performance.now() when it arrived (for bench/notify.ts). */
  receivedAt: number;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * A webhook receiver for any number of channels, one path each (`url(name)`), each with the
 * secret it was told (`trust`). Every request must carry a valid signature over the raw body, a
 * timestamp within 5 minutes of `clock` (the clock of the server under test, which tests pin),
 * and delivery and event headers that match the body; a delivery id may be answered 2xx only once
 * unless the test said a redelivery is coming (`expectRedelivery`).
 */
export class WebhookReceiver extends HttpPeer {
  readonly hits: WebhookHit[] = [];
  readonly problems: string[] = [];
  /** The server's clock, to judge X-Gatehouse-Timestamp by. */
  clock: Clock = testClock;
  private readonly secrets = new Map<string, string>();
  private readonly accepted = new Map<string, number>();
  private readonly redeliveries = new Map<string, number>();
  private paths = 0;

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.listen(0);
    return r;
  }

  /** A fresh endpoint URL for one channel. */
  url(name = 'hook'): string {
    return `${this.origin}/${encodeURIComponent(name)}/${++this.paths}`;
  }

  /** The secret requests to `url` must be signed with. */
  trust(url: string, secret: string): void {
    this.secrets.set(new URL(url).pathname, secret);
  }

  /** A redelivery of `id` is on its way: one more 2xx for it is legitimate. */
  expectRedelivery(id: string): void {
    this.redeliveries.set(id, (this.redeliveries.get(id) ?? 0) + 1);
  }

  /** Deliveries answered 2xx (for `url`, if given). */
  delivered(url?: string): WebhookBody[] {
    const path = url === undefined ? undefined : new URL(url).pathname;
    return this.hits.filter((h) => h.status < 300 && h.body && (path === undefined || h.path === path)).map((h) => h.body!);
  }

  /** Every request that carried delivery `id`, whatever it was answered. */
  attemptsOf(id: string): WebhookHit[] {
    return this.hits.filter((h) => h.body?.id === id);
  }

  /** Waits for a delivery answered 2xx that `match` accepts. */
  next(match: (b: WebhookBody) => boolean, what: string, url?: string, timeoutMs = 15_000): Promise<WebhookBody> {
    return until(
      () => this.delivered(url).find(match),
      what,
      () => JSON.stringify(this.hits.map((h) => [h.path, h.status, h.body?.event, h.body?.data?.request?.id ?? h.body?.data?.session?.id])),
      timeoutMs,
    );
  }

  /** What is wrong with a request, or its body and timestamp when nothing is. */
  private check(req: http.IncomingMessage, path: string, raw: Buffer): string | { body: WebhookBody; ts: number } {
    const h = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    if (req.method !== 'POST') return 'not a POST';
    const secret = this.secrets.get(path);
    if (secret === undefined) return 'no channel was given this URL';
    if (!(h('content-type') ?? '').startsWith('application/json')) return `Content-Type ${h('content-type')}`;
    if (!/^Gatehouse-Hookshot(\/\S+)?$/.test(h('user-agent') ?? '')) return `User-Agent ${h('user-agent')}`;
    const ts = h('x-gatehouse-timestamp') ?? '';
    if (!/^\d{1,12}$/.test(ts)) return `X-Gatehouse-Timestamp "${ts}" is not unix seconds`;
    const skew = Math.abs(Number(ts) - this.clock().getTime() / 1000);
    if (skew > 300) return `X-Gatehouse-Timestamp ${ts} is ${Math.round(skew)} s off the server's clock`;
    const sig = SIGNATURE.exec(h('x-gatehouse-signature') ?? '');
    if (!sig) return `X-Gatehouse-Signature "${h('x-gatehouse-signature')}" is not sha256=<hex>`;
    const want = createHmac('sha256', secret).update(`${ts}.`).update(raw).digest();
    if (!timingSafeEqual(want, Buffer.from(sig[1]!, 'hex'))) return 'signature does not match the raw body';
    let body: WebhookBody;
    try {
      body = JSON.parse(raw.toString('utf8')) as WebhookBody;
    } catch {
      return 'body is not JSON';
    }
    if (typeof body !== 'object' || body === null || typeof body.data !== 'object' || body.data === null) return 'body has no data object';
    if (typeof body.id !== 'string' || !body.id.startsWith('dlv_')) return `body.id ${JSON.stringify(body.id)} is not a delivery id`;
    if (h('x-gatehouse-delivery') !== body.id) return `X-Gatehouse-Delivery ${h('x-gatehouse-delivery')} is not body.id ${body.id}`;
    if (h('x-gatehouse-event') !== body.event) return `X-Gatehouse-Event ${h('x-gatehouse-event')} is not body.event ${body.event}`;
    if (typeof body.at !== 'string' || Number.isNaN(Date.parse(body.at))) return `body.at ${JSON.stringify(body.at)} is not a time`;
    return { body, ts: Number(ts) };
  }

  protected handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    const checked = this.check(req, path, raw);
    if (typeof checked === 'string') {
      this.problems.push(`${req.method} ${path}: ${checked}`);
      this.hits.push({ path, status: 400, timestamp: Number(req.headers['x-gatehouse-timestamp']), receivedAt: performance.now() });
      res.writeHead(400).end(checked);
      return;
    }
    const { body, ts } = checked;
    if (this.mode === 'unavailable') {
      this.hits.push({ path, status: 503, body, timestamp: ts, receivedAt: performance.now() });
      res.writeHead(503).end('down for maintenance');
      return;
    }
    const times = this.accepted.get(body.id) ?? 0;
    if (times > 0) {
      const allowed = this.redeliveries.get(body.id) ?? 0;
      if (allowed === 0) this.problems.push(`delivery ${body.id} (${body.event}) answered 2xx ${times + 1} times`);
      else this.redeliveries.set(body.id, allowed - 1);
    }
    this.accepted.set(body.id, times + 1);
    this.hits.push({ path, status: 200, body, timestamp: ts, receivedAt: performance.now() });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }
}

// ---- Slack ---------------------------------------------------------------------------------------

export interface SlackMessage {
  path: string;
  /** Block Kit, inspected by the tests. */
  body: any;
}

/** An incoming-webhook endpoint like Slack's: answers 200 "ok" and keeps each JSON body. */
export class SlackReceiver extends HttpPeer {
  readonly messages: SlackMessage[] = [];
  readonly problems: string[] = [];

  static async start(): Promise<SlackReceiver> {
    const r = new SlackReceiver();
    await r.listen(0);
    return r;
  }

  /** A URL shaped like Slack's, whose path is the credential. */
  url(): string {
    return `${this.origin}/services/T0GATE/B0HOUSE/${Math.random().toString(36).slice(2, 14)}`;
  }

  next(match: (m: SlackMessage) => boolean, what: string, timeoutMs = 15_000): Promise<SlackMessage> {
    return until(
      () => this.messages.find(match),
      what,
      () => JSON.stringify(this.messages.map((m) => m.body?.text)),
      timeoutMs,
    );
  }

  protected handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    if (this.mode === 'unavailable') return void res.writeHead(503).end('unavailable');
    if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      this.problems.push(`${req.method} ${path} with Content-Type ${req.headers['content-type']}`);
      return void res.writeHead(400).end('invalid_payload');
    }
    try {
      this.messages.push({ path, body: JSON.parse(raw.toString('utf8')) });
    } catch {
      this.problems.push(`${path}: body is not JSON`);
      return void res.writeHead(400).end('invalid_payload');
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }
}

// ---- SMTP ----------------------------------------------------------------------------------------

export interface Mail {
  /** The envelope: MAIL FROM and RCPT TO. */
  from: string;
  to: string[];
  raw: string;
  /** Lower-cased header names, unfolded values (a name may repeat). */
  headers: Map<string, string[]>;
  header(name: string): string | undefined;
  /** The Subject, encoded words decoded. */
  subject: string;
  text?: string;
  html?: string;
}

/** An SMTP server (no TLS, no auth) that keeps every message it is handed. */
export class SmtpReceiver {
  readonly messages: Mail[] = [];
  port = 0;
  private readonly server: SMTPServer;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const envelope = session.envelope;
          this.messages.push(
            parseMail(
              Buffer.concat(chunks).toString('utf8'),
              envelope.mailFrom ? envelope.mailFrom.address : '',
              envelope.rcptTo.map((r) => r.address),
            ),
          );
          callback();
        });
      },
    });
  }

  static async start(): Promise<SmtpReceiver> {
    const r = new SmtpReceiver();
    await new Promise<void>((res, rej) => {
      r.server.once('error', rej);
      r.server.listen(0, '127.0.0.1', () => res());
    });
    r.port = (r.server.server.address() as AddressInfo).port;
    return r;
  }

  /** For `serve --smtp-url`. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): Mail[] {
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  next(match: (m: Mail) => boolean, what: string, timeoutMs = 15_000): Promise<Mail> {
    return until(
      () => this.messages.find(match),
      what,
      () => JSON.stringify(this.messages.map((m) => [m.to, m.subject])),
      timeoutMs,
    );
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

// A minimal RFC 5322 / MIME reader: enough to find the headers, the subject and the text and HTML
// parts of what nodemailer writes (multipart/alternative, quoted-printable or base64 parts).

function splitHead(raw: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return { head: raw, body: '' };
  return { head: raw.slice(0, m.index), body: raw.slice(m.index + m[0].length) };
}

function parseHeaders(head: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return headers;
}

function param(value: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

function qpBytes(text: string, underscoreIsSpace: boolean): Buffer {
  const bytes: number[] = [];
  const s = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '_' && underscoreIsSpace) bytes.push(0x20);
    else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return qpBytes(body, false).toString('utf8');
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** RFC 2047 encoded words (UTF-8, B or Q), as nodemailer writes a non-ASCII subject. */
export function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, kind: string, text: string) =>
      (kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qpBytes(text, true)).toString('utf8'),
    );
}

function walk(headers: Map<string, string[]>, body: string, out: { text?: string; html?: string }): void {
  const type = headers.get('content-type')?.[0] ?? 'text/plain';
  const mime = type.split(';')[0]!.trim().toLowerCase();
  if (mime.startsWith('multipart/')) {
    const boundary = param(type, 'boundary');
    if (!boundary) return;
    const parts = body.split(`--${boundary}`);
    // before the first boundary is the preamble; from the closing `--boundary--` on, the epilogue
    for (const part of parts.slice(1)) {
      if (part.startsWith('--')) break;
      const { head, body: partBody } = splitHead(part.replace(/^\r?\n/, ''));
      walk(parseHeaders(head), partBody.replace(/\r?\n$/, ''), out);
    }
    return;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding')?.[0]);
  if (mime === 'text/plain') out.text ??= decoded;
  else if (mime === 'text/html') out.html ??= decoded;
}

export function parseMail(raw: string, from: string, to: string[]): Mail {
  const { head, body } = splitHead(raw);
  const headers = parseHeaders(head);
  const parts: { text?: string; html?: string } = {};
  walk(headers, body, parts);
  return {
    from,
    to,
    raw,
    headers,
    header: (name) => headers.get(name.toLowerCase())?.[0],
    subject: decodeWords(headers.get('subject')?.[0] ?? ''),
    ...parts,
  };
}

/** The http(s) URL in a List-Unsubscribe header (`<https://…>, <mailto:…>`). */
export function unsubscribeUrl(mail: Mail): URL | undefined {
  const header = mail.header('list-unsubscribe');
  const m = header ? /<(https?:\/\/[^>]+)>/.exec(header) : null;
  return m ? new URL(m[1]!) : undefined;
}
