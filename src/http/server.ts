import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { sendError } from './errors.js';

export interface RoutedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  log: Logger;
}

export type RouteHandler = (req: RoutedRequest, res: ServerResponse) => Promise<void>;
/** A Node middleware that reads the request itself (Probot's webhooks middleware). */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next?: () => void) => unknown;

const MAX_BODY = 1024 * 1024;
let requestSeq = 0;

/** One HTTP server for every transport: Slack, SNS, GitHub webhooks and the JSON API. */
export class HttpServer {
  private readonly routes = new Map<string, RouteHandler>();
  private readonly mounts: Array<{ prefix: string; middleware: NodeMiddleware }> = [];
  private readonly server: Server;

  constructor(private readonly log: Logger) {
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((err) => {
        this.log.error({ err }, 'unhandled error in request');
        if (!res.headersSent) sendError(res, err);
      });
    });
    // Slack retries after 3 s; never keep sockets around longer than needed.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  route(method: string, path: string, handler: RouteHandler): this {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
    return this;
  }

  mount(prefix: string, middleware: NodeMiddleware): this {
    this.mounts.push({ prefix, middleware });
    return this;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const mount = this.mounts.find(
      (m) => url.pathname === m.prefix || url.pathname.startsWith(`${m.prefix}/`),
    );
    if (mount) {
      await mount.middleware(req, res, () => {
        if (!res.headersSent) sendJson(res, 404, { error: 'not_found' });
      });
      return;
    }
    const handler = this.routes.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      sendJson(res, known ? 405 : 404, { error: known ? 'method_not_allowed' : 'not_found' });
      req.resume();
      return;
    }
    const rawBody = await readBody(req);
    if (rawBody === null) {
      sendJson(res, 413, {
        error: 'payload_too_large',
        message: `request bodies are limited to ${MAX_BODY} bytes`,
      });
      return;
    }
    const log = this.log.child({ requestId: `r${++requestSeq}`, path: url.pathname });
    await handler(
      {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        log,
      },
      res,
    );
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
