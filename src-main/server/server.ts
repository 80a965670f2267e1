/**
 * Browser mode: the renderer bundle and the service's contract over HTTP + WebSocket.
 *
 * - Bound to 127.0.0.1 unless told otherwise.
 * - Every request needs the access token: `?token=` on the first page load (it then lives in an
 *   HttpOnly, SameSite=Strict cookie) or `Authorization: Bearer`. Without it: 401.
 * - Calls and the event socket are refused from any other origin (403), and requests naming
 *   another Host (DNS rebinding) are refused when bound to loopback.
 * - Payloads are validated by the service (WorkbenchService.call) before any handler runs.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import { type ApiErrorPayload, CHANNELS, EVENTS, type Channel } from '../contract/api';
import { ServiceError, errorPayload } from '../service/errors';
import type { WorkbenchService } from '../service/service';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Text assets go out compressed: the renderer bundle is about 2 MB of JavaScript. */
const COMPRESSIBLE = /^(text\/|application\/(javascript|json)|image\/svg)/;

/** The best encoding the client accepts (a q=0 refuses one), or null for none. */
export function acceptedEncoding(header: string): 'br' | 'gzip' | null {
  const accepted = new Set(
    header
      .split(',')
      .map((part) => part.trim().toLowerCase().split(';'))
      .filter(([, q]) => !q || !/^q=0(\.0*)?$/.test(q.trim()))
      .map(([name]) => name),
  );
  return accepted.has('br') ? 'br' : accepted.has('gzip') ? 'gzip' : null;
}

/** Compressed copies, made once per file version (the bundle does not change while served). */
const compressedCache = new Map<string, { mtimeMs: number; body: Buffer }>();
function compressed(file: string, encoding: 'br' | 'gzip'): Buffer | null {
  try {
    const { mtimeMs } = statSync(file);
    const key = `${encoding}:${file}`;
    const hit = compressedCache.get(key);
    if (hit && hit.mtimeMs === mtimeMs) return hit.body;
    const raw = readFileSync(file);
    const body =
      encoding === 'br'
        ? brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9 } })
        : gzipSync(raw, { level: 9 });
    compressedCache.set(key, { mtimeMs, body });
    return body;
  } catch {
    return null; // sent uncompressed instead
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_BODY = 1 << 20;
const COOKIE = 'deml_token';

export interface ServeOptions {
  service: WorkbenchService;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  host?: string;
  port?: number;
  /** Fixed token (tests); random by default. */
  token?: string;
}

export interface RunningServer {
  url: string;
  /** The URL to open: it carries the token once. */
  openUrl: string;
  token: string;
  server: Server;
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === COOKIE && v) return decodeURIComponent(v);
  }
  return null;
}

/** HTTP status of each error code; the body is the contract's ApiErrorPayload. */
const STATUS: Record<string, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  // A request the user stopped (an import cancelled while it ran).
  cancelled: 409,
};

function sendError(res: ServerResponse, error: ApiErrorPayload, status = STATUS[error.code] ?? 500): void {
  send(res, status, error);
}

/** An error of the server's own (a refused request): no field issues. */
function refusal(code: string, message: string): ApiErrorPayload {
  return { code, message, issues: [] };
}

/** API answers are data, never a page: no sniffing, and nothing they could load or frame. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': API_CSP,
  });
  res.end(text);
}

/** A path's percent-decoding; a malformed one is the client's error (400), not the server's. */
function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ServiceError(`malformed percent-encoding in '${text.slice(0, 100)}'`, 'invalid');
  }
}

/** Largest WebSocket frame accepted from a client (the event stream only sends). */
const MAX_SOCKET_PAYLOAD = 4096;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ServiceError('the request body is too large', 'invalid');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ServiceError('the request body is not JSON', 'invalid');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ServiceError('the request body must be a JSON object: {"args": [...]}', 'invalid');
  return body;
}

/**
 * What every request is held to: the access token, the Host a loopback-bound server answers to,
 * the origin calls must come from. The origin and the loopback Hosts are known once it listens.
 */
interface Site {
  readonly host: string;
  readonly token: string;
  /** The built renderer, resolved. */
  readonly rendererDir: string;
  readonly service: WorkbenchService;
  /** http://host:port, once listening. */
  origin: string;
  /** The Host headers of this server on loopback, once listening (DNS rebinding names another). */
  loopbackHosts: Set<string>;
}

export async function serve(o: ServeOptions): Promise<RunningServer> {
  const site = siteOf(o);
  const server = createServer((req, res) => {
    void handle(site, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, errorPayload(e));
      else res.destroy();
    });
  });
  const events = streamEvents(site, server);
  const port = await listen(server, o.port ?? 0, site.host);
  const shownHost = site.host.includes(':') ? `[${site.host}]` : site.host;
  site.loopbackHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  site.origin = `http://${shownHost}:${port}`;
  return {
    url: site.origin,
    openUrl: `${site.origin}/?token=${site.token}`,
    token: site.token,
    server,
    close: async () => {
      events.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The site of these options: a random token unless one is given, and a renderer that is built. */
function siteOf(o: ServeOptions): Site {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? randomBytes(24).toString('hex');
  const rendererDir = resolve(o.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(
      `the renderer is not built (${rendererDir}/index.html is missing); run \`npm run build\``,
    );
  }
  return { host, token, rendererDir, service: o.service, origin: '', loopbackHosts: new Set<string>() };
}

/** Listens on the port (0: any free one) and answers the port taken. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  return (server.address() as AddressInfo).port;
}

/** The request target is a path of this server: "//evil.example/x" must not parse as another host. */
function requestUrl(site: Site, req: IncomingMessage): URL {
  const target = req.url ?? '/';
  return new URL(`${site.origin}${target.startsWith('/') ? target : `/${target}`}`);
}

/** Whether the request carries the token: in a header or the cookie ('ok'), or in the URL ('query'). */
function authorized(site: Site, req: IncomingMessage, url: URL): 'ok' | 'query' | false {
  const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, '');
  if (bearer && safeEqual(bearer, site.token)) return 'ok';
  const cookie = cookieToken(req);
  if (cookie && safeEqual(cookie, site.token)) return 'ok';
  const query = url.searchParams.get('token');
  if (query && safeEqual(query, site.token)) return 'query';
  return false;
}

/** Browsers always send Origin on cross-origin requests and WebSocket handshakes. */
function sameOrigin(req: IncomingMessage): boolean {
  return !req.headers.origin || req.headers.origin === `http://${req.headers.host}`;
}

function rightHost(site: Site, req: IncomingMessage): boolean {
  return !isLoopback(site.host) || site.loopbackHosts.has(req.headers.host ?? '');
}

/** A request: refused without the right Host and token, else a call, the token's trade, or a file. */
async function handle(site: Site, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = requestUrl(site, req);
  if (!rightHost(site, req)) return sendError(res, refusal('forbidden', 'unexpected Host header'));
  const auth = authorized(site, req, url);
  if (!auth) {
    return sendError(
      res,
      refusal('unauthorized', 'open the URL that `deml serve` printed (it carries the access token)'),
    );
  }
  if (url.pathname.startsWith('/api/')) return callChannel(site, req, res, url);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendError(res, refusal('invalid', 'GET only'), 405);
  if (auth === 'query') return tradeTokenForCookie(site, res, url);
  serveStatic(site.rendererDir, url.pathname, req, res);
}

/** POST /api/<channel> with {"args": [...]}: the service's answer, from this origin only. */
async function callChannel(site: Site, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (!sameOrigin(req)) return sendError(res, refusal('forbidden', `origin ${req.headers.origin} refused`));
  if (req.method !== 'POST') return sendError(res, refusal('invalid', 'use POST'), 405);
  const channel = decodePath(url.pathname.slice('/api/'.length)) as Channel;
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    return sendError(res, refusal('not-found', `no channel '${channel}'`));
  }
  try {
    const body = (await readBody(req)) as { args?: unknown };
    const args = Array.isArray(body.args) ? body.args : [];
    return send(res, 200, { result: (await site.service.call(channel, args)) ?? null });
  } catch (e) {
    return sendError(res, errorPayload(e));
  }
}

/**
 * Trade the token in the URL for a cookie, and drop it from the address bar and history. Only
 * ever to a path of this server: "//evil.example/" would leave it (an open redirect).
 */
function tradeTokenForCookie(site: Site, res: ServerResponse, url: URL): void {
  const here = `/${url.pathname.replace(/^[/\\]+/, '')}`;
  res.writeHead(302, {
    'set-cookie': `${COOKIE}=${encodeURIComponent(site.token)}; HttpOnly; SameSite=Strict; Path=/`,
    location: here,
    'cache-control': 'no-store',
  });
  res.end();
}

/** A file of the renderer (index.html for any path that names none), compressed when it pays. */
function serveStatic(rendererDir: string, pathname: string, req: IncomingMessage, res: ServerResponse): void {
  const relative = normalize(decodePath(pathname)).replace(/^([/\\])+/, '');
  let file = resolve(rendererDir, relative || 'index.html');
  if (!file.startsWith(rendererDir + sep) && file !== rendererDir) {
    return sendError(res, refusal('not-found', 'not found'));
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(rendererDir, 'index.html');
  const type = MIME[extname(file)] ?? 'application/octet-stream';
  const headers = {
    'content-type': type,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': type.startsWith('text/html') ? 'no-store' : 'max-age=3600',
    vary: 'accept-encoding',
  };
  const encoding = COMPRESSIBLE.test(type)
    ? acceptedEncoding(String(req.headers['accept-encoding'] ?? ''))
    : null;
  const body = encoding ? compressed(file, encoding) : null;
  if (encoding && body) {
    res.writeHead(200, { ...headers, 'content-encoding': encoding, 'content-length': body.length });
    return void res.end(req.method === 'HEAD' ? undefined : body);
  }
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}

/**
 * The event socket (/events, same Host, origin and token rules as a call): every event of the
 * service goes to every open socket. Closing it unsubscribes and drops the sockets.
 */
function streamEvents(site: Site, server: Server): { close(): void } {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_PAYLOAD });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = requestUrl(site, req);
    const refuse = (status: string) => {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/events') return refuse('404 Not Found');
    if (!rightHost(site, req) || !sameOrigin(req)) return refuse('403 Forbidden');
    if (!authorized(site, req, url)) return refuse('401 Unauthorized');
    sockets.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
    });
  });
  const unsubscribe = EVENTS.map((event) =>
    site.service.on(event, (payload) => {
      const text = JSON.stringify({ event, payload });
      for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
    }),
  );
  return {
    close: () => {
      unsubscribe.forEach((f) => f());
      for (const ws of clients) ws.terminate();
      sockets.close();
    },
  };
}
