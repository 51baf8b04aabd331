// Web mode's host: serves the built renderer on 127.0.0.1 and carries the IPC contract over a
// WebSocket. Loopback only; every connection must present the per-launch secret, and Host and
// Origin must name this very listener (no DNS rebinding, no other site's page).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IpcResult } from '../../../shared/ipc/define.ts';
import { rendererCsp } from '../shell/csp.ts';

export const SECRET_PROTOCOL_PREFIX = 'gatehouse-secret.';
export const IPC_PATH = '/ipc';

export interface WebHostOptions {
  dispatch: (channel: unknown, input: unknown) => Promise<IpcResult<unknown>>;
  /** Registers a sender for pushed events; returns the unsubscribe. */
  subscribe: (send: (event: string, payload: unknown) => void) => () => void;
  /** The built renderer (index.html + assets). */
  staticDir: string;
  port?: number;
  secret?: string;
  maxMessageBytes?: number;
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

/** Why a socket is refused, or undefined when it may connect. Pure, so it is tested as a table. */
export function refusal(req: Pick<IncomingMessage, 'headers'>, port: number, secret: string): string | undefined {
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
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const offered = protocols.find((p) => p.startsWith(SECRET_PROTOCOL_PREFIX));
  if (!offered || !sameSecret(offered.slice(SECRET_PROTOCOL_PREFIX.length), secret)) return 'missing or wrong secret';
  return undefined;
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, port: number): void {
  const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('#')[0]!);
  const rel = normalize(path === '/' ? '/index.html' : path).replace(/^([/\\])+/, '');
  const file = resolve(root, rel);
  if (!file.startsWith(resolve(root) + sep)) return void res.writeHead(403).end('forbidden');
  const headers = {
    'content-security-policy': rendererCsp({ connectSrc: allowedHosts(port).map((h) => `ws://${h}`) }),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-cache',
  };
  if (!existsSync(join(root, 'index.html'))) {
    res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    return void res.end(`The renderer is not built (${root} has no index.html). Run "npm run build" and start again.\n`);
  }
  const target = existsSync(file) && statSync(file).isFile() ? file : join(root, 'index.html');
  res.writeHead(200, { ...headers, 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
  createReadStream(target).pipe(res);
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const secret = options.secret ?? randomBytes(24).toString('base64url');
  let port = 0;
  const server = createServer((req, res) => {
    if (!allowedHosts(port).includes(String(req.headers.host ?? '').toLowerCase())) {
      return void res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request: wrong Host');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    serveStatic(options.staticDir, req, res, port);
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? 4 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('gatehouse') ? 'gatehouse' : false),
  });
  server.on('upgrade', (req, socket, head) => {
    const why = (req.url ?? '').split('?')[0] !== IPC_PATH ? 'not found' : refusal(req, port, secret);
    if (why) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    const unsubscribe = options.subscribe((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('message', (raw) => {
      let msg: { id?: unknown; channel?: unknown; input?: unknown };
      try {
        msg = JSON.parse(String(raw)) as typeof msg;
      } catch {
        return void ws.send(JSON.stringify({ id: null, result: { ok: false, error: { code: 'invalid_message', message: 'message is not JSON' } } }));
      }
      const id = typeof msg?.id === 'number' || typeof msg?.id === 'string' ? msg.id : null;
      void options.dispatch(msg?.channel, msg?.input).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, result }));
      });
    });
    ws.on('close', unsubscribe);
    ws.on('error', unsubscribe);
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
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
