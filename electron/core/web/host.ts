// Web mode's host: serves the built renderer on 127.0.0.1 and carries the IPC contract over a
// WebSocket. Loopback only; every connection must present the per-launch secret (or the session
// cookie a page that had the secret exchanged it for), and Host and Origin must name this very
// listener (no DNS rebinding, no other site's page).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IpcResult } from '../../../shared/ipc/define.ts';
import { rendererCsp } from '../shell/csp.ts';

export const SECRET_PROTOCOL_PREFIX = 'gatehouse-secret.';
export const IPC_PATH = '/ipc';
/** POST here with the secret in SECRET_HEADER: answers with the session cookie. */
export const SESSION_PATH = '/session';
export const SECRET_HEADER = 'x-gatehouse-secret';

/** Per port: cookies are not isolated by port, so another listener's cookie must not be ours. */
export const sessionCookieName = (port: number): string => `gatehouse_session_${port}`;

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface WebHostOptions {
  dispatch: (channel: unknown, input: unknown) => Promise<IpcResult<unknown>>;
  /** Registers a sender for pushed events; returns the unsubscribe. */
  subscribe: (send: (event: string, payload: unknown) => void) => () => void;
  /** The built renderer (index.html + assets). */
  staticDir: string;
  port?: number;
  secret?: string;
  maxMessageBytes?: number;
  /** Called for every socket that presented the secret and connected. */
  onConnection?: () => void;
  /** Told about a failure the host caught (a bug to log, never a reason to stop serving). */
  onError?: (err: unknown) => void;
}

export interface WebHost {
  url: string;
  port: number;
  secret: string;
  /** The address to open: the secret rides in the fragment, which browsers never send. */
  openUrl: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Host and Origin name this very listener, or why not. */
function foreign(req: Pick<IncomingMessage, 'headers'>, port: number): string | undefined {
  const host = req.headers.host;
  if (!host || !allowedHosts(port).includes(host.toLowerCase())) return 'foreign Host';
  const origin = req.headers.origin;
  if (
    !origin ||
    !allowedHosts(port)
      .map((h) => `http://${h}`)
      .includes(origin.toLowerCase())
  )
    return 'wrong Origin';
  return undefined;
}

/**
 * Why a socket is refused, or undefined when it may connect. Pure, so it is tested as a table.
 * Host and Origin are checked first whatever credential comes: a cookie rides along with any
 * request the browser makes, so it is only worth something from our own page.
 */
export function refusal(req: Pick<IncomingMessage, 'headers'>, port: number, secret: string, sessions: ReadonlySet<string> = new Set()): string | undefined {
  const wrong = foreign(req, port);
  if (wrong) return wrong;
  const cookie = cookieValue(req.headers.cookie, sessionCookieName(port));
  if (cookie !== undefined && [...sessions].some((t) => sameSecret(cookie, t))) return undefined;
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const offered = protocols.find((p) => p.startsWith(SECRET_PROTOCOL_PREFIX));
  if (!offered || !sameSecret(offered.slice(SECRET_PROTOCOL_PREFIX.length), secret)) return 'missing or wrong secret';
  return undefined;
}

/** Security headers on every answer the host gives to a browser. */
function pageHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': rendererCsp({ connectSrc: allowedHosts(port).map((h) => `ws://${h}`) }),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-cache',
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', connection: 'close' });
  res.end(`${text}\n`);
}

/**
 * The request's path, decoded, or undefined when it is not one a browser would send for a file of
 * ours: a broken percent-encoding (`%E0%A4%A`), a NUL, a backslash, or absurd length. Never throws.
 */
export function requestPath(rawUrl: string | undefined): string | undefined {
  const raw = (rawUrl ?? '/').split('?')[0]!.split('#')[0]!;
  if (!raw.startsWith('/') || raw.length > 2048) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(path)) return undefined;
  return path;
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, port: number): void {
  const path = requestPath(req.url);
  if (path === undefined) return void plain(res, 400, 'bad request: malformed path');
  const rel = normalize(path === '/' ? '/index.html' : path).replace(/^([/\\])+/, '');
  const file = resolve(root, rel);
  if (file !== resolve(root) && !file.startsWith(resolve(root) + sep)) return void plain(res, 403, 'forbidden');
  const headers = pageHeaders(port);
  const index = join(root, 'index.html');
  if (!isFile(index)) {
    res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    return void res.end(`The renderer is not built (${root} has no index.html). Run "npm run build" and start again.\n`);
  }
  const target = isFile(file) ? file : index;
  const stream = createReadStream(target);
  // The file may vanish or fail to read after the check: answer (or cut) this response, nothing more.
  stream.once('error', () => (res.headersSent ? res.destroy() : plain(res, 500, 'could not read the file')));
  stream.once('open', () => {
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
    stream.pipe(res);
  });
  res.once('close', () => stream.destroy());
}

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** Per socket: calls answered at once, and how much unread output a client may leave before it is cut off. */
const MAX_IN_FLIGHT = 64;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const MAX_ID_LENGTH = 128;

function errorReply(id: unknown, code: string, message: string): string {
  return JSON.stringify({ id, result: { ok: false, error: { code, message } } });
}

/** The id to echo: a finite number or a short string; anything else is answered with id null. */
function replyId(id: unknown): number | string | null {
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'string' && id.length <= MAX_ID_LENGTH) return id;
  return null;
}

/**
 * Why a session-cookie request is refused, or undefined: Host and Origin are this listener's and
 * the secret is presented (a header, which no form or link can set: a cross-site page cannot even
 * send it without a preflight we never answer).
 */
export function sessionRefusal(req: Pick<IncomingMessage, 'headers'>, port: number, secret: string): string | undefined {
  const wrong = foreign(req, port);
  if (wrong) return wrong;
  const offered = req.headers[SECRET_HEADER];
  if (typeof offered !== 'string' || !sameSecret(offered, secret)) return 'missing or wrong secret';
  return undefined;
}

/** At most this many live session cookies per launch (each tab exchange makes one). */
const MAX_SESSIONS = 64;

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const secret = options.secret ?? randomBytes(24).toString('base64url');
  let port = 0;
  const sessions = new Set<string>();
  const server = createServer((req, res) => {
    // Nothing a request carries may throw out of here: that would end web mode.
    try {
      if (!allowedHosts(port).includes(String(req.headers.host ?? '').toLowerCase())) return plain(res, 421, 'misdirected request: wrong Host');
      if (req.method === 'POST' && requestPath(req.url) === SESSION_PATH) {
        const why = sessionRefusal(req, port, secret);
        if (why) return plain(res, 403, `forbidden: ${why}`);
        if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.values().next().value!);
        const token = randomBytes(32).toString('base64url');
        sessions.add(token);
        req.resume();
        res.writeHead(204, {
          'set-cookie': `${sessionCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          connection: 'close',
        });
        return void res.end();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return plain(res, 405, 'method not allowed');
      }
      serveStatic(options.staticDir, req, res, port);
    } catch (err) {
      options.onError?.(err);
      plain(res, 500, 'internal error');
    }
  });
  // A request Node's parser refuses (bad request line, header, encoding, size): 400 (431 for
  // oversized headers), then the connection is closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`);
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? 4 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('gatehouse') ? 'gatehouse' : false),
  });
  server.on('upgrade', (req, socket, head) => {
    // Node hands the raw socket over without an error listener: a reset would otherwise crash us.
    socket.on('error', () => socket.destroy());
    try {
      const why = (req.url ?? '').split('?')[0] !== IPC_PATH ? 'not found' : refusal(req, port, secret, sessions);
      if (why) {
        socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (err) {
      options.onError?.(err);
      socket.destroy();
    }
  });
  wss.on('connection', (ws: WebSocket) => {
    options.onConnection?.();
    let inFlight = 0;
    const send = (text: string) => {
      if (ws.readyState !== ws.OPEN) return;
      // A client that never reads what it asked for is cut off before its answers pile up here.
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return void ws.close(1008, 'too much unread output');
      ws.send(text);
    };
    const unsubscribe = options.subscribe((event, payload) => send(JSON.stringify({ event, payload })));
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return send(errorReply(null, 'invalid_message', 'binary messages are not accepted: send JSON text'));
      let msg: unknown;
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return send(errorReply(null, 'invalid_message', 'message is not JSON'));
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
        return send(errorReply(null, 'invalid_message', 'a message is {"id", "channel", "input"}'));
      const { id: rawId, channel, input } = msg as { id?: unknown; channel?: unknown; input?: unknown };
      const id = replyId(rawId);
      if (inFlight >= MAX_IN_FLIGHT) return send(errorReply(id, 'busy', `too many calls at once (at most ${MAX_IN_FLIGHT}): wait for answers`));
      inFlight++;
      options
        .dispatch(channel, input)
        .catch((err: unknown): IpcResult<unknown> => {
          options.onError?.(err);
          return { ok: false, error: { code: 'internal', message: 'the call failed' } };
        })
        .then((result) => send(JSON.stringify({ id, result })))
        .catch((err: unknown) => options.onError?.(err))
        .finally(() => void inFlight--);
    });
    ws.on('close', unsubscribe);
    ws.on('error', () => {
      unsubscribe();
      ws.terminate();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    secret,
    openUrl: `${url}/#${secret}`,
    close: async () => {
      sessions.clear();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
