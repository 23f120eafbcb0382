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
  /** Named in replies so a person can quote it and an operator can find the log lines. */
  id: string;
  log: Logger;
}

export type RouteHandler = (req: RoutedRequest, res: ServerResponse) => Promise<void>;

export interface RouteOptions {
  /** Largest body read for this route (default MAX_BODY); anything larger gets 413 before it is buffered. */
  maxBody?: number;
}

/** Slack, SNS and API bodies are a few KiB; 1 MiB leaves room and bounds what one request can cost. */
export const MAX_BODY = 1024 * 1024;
let requestSeq = 0;

/** One HTTP server for every transport: Slack, SNS, GitHub webhooks and the JSON API. */
export class HttpServer {
  private readonly routes = new Map<string, { handler: RouteHandler; maxBody: number }>();
  private readonly server: Server;

  constructor(private readonly log: Logger) {
    this.server = createServer((req, res) => {
      const requestId = `r${++requestSeq}`;
      this.dispatch(req, res, requestId).catch((err) => {
        // A client that hung up or timed out is not our error: one line, no stack.
        if (isClientGone(err, req)) this.log.info({ requestId, reason: reasonText(err) }, 'client went away');
        else this.log.error({ err, requestId }, 'unhandled error in request');
        if (!res.headersSent && !res.destroyed) sendError(res, err, requestId);
      });
    });
    // Slack retries after 3 s; never keep sockets around longer than needed.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  route(method: string, path: string, handler: RouteHandler, options: RouteOptions = {}): this {
    this.routes.set(`${method.toUpperCase()} ${path}`, { handler, maxBody: options.maxBody ?? MAX_BODY });
    return this;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.routes.get(`${req.method} ${url.pathname}`);
    if (!route) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      await refuse(req, res, known ? 405 : 404, { error: known ? 'method_not_allowed' : 'not_found' });
      return;
    }
    const rawBody = await readBody(req, route.maxBody);
    if (rawBody === null) {
      this.log.info(
        { requestId, path: url.pathname, contentLength: req.headers['content-length'] ?? null },
        'refused an oversized body',
      );
      await refuse(req, res, 413, {
        error: 'payload_too_large',
        message: `request bodies are limited to ${route.maxBody} bytes`,
      });
      return;
    }
    const log = this.log.child({ requestId, path: url.pathname });
    await route.handler(
      {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        id: requestId,
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

/** The body, or null when it is (or declares to be) larger than `max`: then nothing more is kept. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}

/** What is read and dropped before answering 413 (a "lingering close"): bounded in bytes and time. */
const DISCARD_MAX = 64 * 1024 * 1024;
const DISCARD_MS = 5_000;

/**
 * Reads and drops the rest of a body we refuse, so the client (many only read the answer once their upload
 * is done) gets the answer instead of a reset; nothing is kept. Resolves true when the body ended, false
 * when it went past the bounds (then the connection is closed after the answer).
 */
function discardRest(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let dropped = 0;
    const done = (ended: boolean) => {
      clearTimeout(timer);
      req.removeListener('data', count);
      resolve(ended);
    };
    const timer = setTimeout(() => done(false), DISCARD_MS);
    timer.unref();
    const count = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_MAX) done(false);
    };
    req.on('data', count);
    req.once('end', () => done(true));
    req.once('close', () => done(req.complete));
    req.resume();
  });
}

/** Answers a request whose body we do not want: after draining it (bounded), closing if it was too much. */
async function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
): Promise<void> {
  const ended = await discardRest(req);
  if (res.destroyed) return;
  if (!ended) res.setHeader('connection', 'close');
  sendJson(res, status, body);
}

const GONE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The client aborted, reset the connection, or the request timed out. */
export function isClientGone(err: unknown, req?: IncomingMessage): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (req?.destroyed || req?.aborted) return true;
  return (
    (typeof e?.code === 'string' && GONE_CODES.has(e.code)) ||
    (typeof e?.message === 'string' && e.message === 'aborted')
  );
}

const reasonText = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown } | null;
  return String(e?.code ?? e?.message ?? err);
};

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
