import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { BODY_LIMITS, BodyBudget, type BodyLimits } from './body-budget.js';
import { answerError, sendError } from './errors.js';
import { JSON_HEADERS } from './json-headers.js';
import { type BodyRefusal, discardRest, hasBody, readBody } from './read-body.js';

/** What a route may look at before its body is read: the request line and headers. */
export interface RequestHead {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The peer's address (a proxy's, behind one). */
  remote: string;
  /** Named in replies so a person can quote it and an operator can find the log lines. */
  id: string;
  log: Logger;
}

export interface RoutedRequest extends RequestHead {
  rawBody: Buffer;
}

export type RouteHandler = (req: RoutedRequest, res: ServerResponse) => Promise<void>;

/**
 * Decides from the request line and headers alone, before one byte of the body is read or kept; throws a
 * typed error (401, 403, 400) to refuse. Routes whose proof is over the body (Slack, GitHub, SNS signatures)
 * check here what the headers must already show, and the signature itself in the handler.
 */
export type AuthCheck = (head: RequestHead) => void | Promise<void>;

export interface RouteOptions {
  /**
   * Every route says how a caller is authenticated: a check run before the body is read, or 'public'
   * (no credentials: /healthz, the page's assets and sign-in form).
   */
  auth: AuthCheck | 'public';
  /** Largest body read for this route (default MAX_BODY, 0 for GET); anything larger gets 413 unbuffered. */
  maxBody?: number;
}

/** Slack, SNS and API bodies are a few KiB; 1 MiB leaves room and bounds what one request can cost. */
export const MAX_BODY = 1024 * 1024;
let requestSeq = 0;

interface Route {
  handler: RouteHandler;
  auth: AuthCheck | 'public';
  maxBody: number;
}

/** One HTTP server for every transport: Slack, SNS, GitHub webhooks and the JSON API. */
export class HttpServer {
  private readonly routes = new Map<string, Route>();
  private readonly server: Server;
  /** Refused bodies being drained now. */
  private draining = 0;
  /** Bodies across all requests: bytes held and reads under way (see BodyLimits). */
  readonly bodies: BodyBudget;

  constructor(
    private readonly log: Logger,
    limits: BodyLimits = BODY_LIMITS,
  ) {
    this.bodies = new BodyBudget(limits);
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

  route(method: string, path: string, handler: RouteHandler, options: RouteOptions): this {
    const m = method.toUpperCase();
    const maxBody = options.maxBody ?? (m === 'GET' ? 0 : MAX_BODY);
    this.routes.set(`${m} ${path}`, { handler, auth: options.auth, maxBody });
    return this;
  }

  /** Each route as `METHOD /path`, how it is authenticated and its body limit, for review and tests. */
  routeList(): Array<{ route: string; auth: 'public' | 'checked'; maxBody: number }> {
    return [...this.routes].map(([route, r]) => ({
      route,
      auth: r.auth === 'public' ? 'public' : 'checked',
      maxBody: r.maxBody,
    }));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.routes.get(`${req.method} ${url.pathname}`);
    if (!route) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      await this.refuse(req, res, (r) =>
        sendJson(r, known ? 405 : 404, { error: known ? 'method_not_allowed' : 'not_found' }),
      );
      return;
    }
    const head: RequestHead = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      remote: req.socket.remoteAddress ?? '',
      id: requestId,
      log: this.log.child({ requestId, path: url.pathname }),
    };
    if (Number(req.headers['content-length'] ?? 0) > route.maxBody)
      return this.tooLarge(req, res, head, route.maxBody);
    if (route.auth !== 'public') {
      try {
        await route.auth(head);
      } catch (err) {
        head.log.info({ reason: (err as Error).message }, 'refused before reading the body');
        await this.refuse(req, res, (r) => sendError(r, err, requestId));
        return;
      }
    }
    const rawBody = hasBody(req) ? await this.readBounded(req, res, head, route.maxBody) : Buffer.alloc(0);
    if (rawBody === null) return;
    try {
      await route.handler({ ...head, rawBody }, res);
    } catch (err) {
      // A client that hung up is not the route's error: the server's catch logs it as one line.
      if (isClientGone(err, req)) throw err;
      answerError(head, res, err);
    } finally {
      this.bodies.give(rawBody.length);
    }
  }

  /** The body within the route's and the server's bounds, or null when it was refused (already answered). */
  private async readBounded(
    req: IncomingMessage,
    res: ServerResponse,
    head: RequestHead,
    maxBody: number,
  ): Promise<Buffer | null> {
    if (!this.bodies.startRead()) {
      head.log.warn({ reads: this.bodies.reads }, 'refused a body: too many being read at once');
      await this.refuse(req, res, busy);
      return null;
    }
    let outcome: Buffer | BodyRefusal;
    try {
      outcome = await readBody(req, maxBody, this.bodies);
    } finally {
      this.bodies.endRead();
    }
    if (outcome === 'too-large') {
      await this.tooLarge(req, res, head, maxBody);
      return null;
    }
    if (outcome === 'busy') {
      head.log.warn(
        { bytesInFlight: this.bodies.bytesInFlight },
        'refused a body: the bytes in flight are spent',
      );
      await this.refuse(req, res, busy);
      return null;
    }
    if (outcome === 'timeout') {
      head.log.info('refused a body that did not arrive in time');
      res.setHeader('connection', 'close');
      sendJson(res, 408, { error: 'request_timeout', message: 'the request body did not arrive in time' });
      return null;
    }
    return outcome;
  }

  private async tooLarge(
    req: IncomingMessage,
    res: ServerResponse,
    head: RequestHead,
    max: number,
  ): Promise<void> {
    head.log.info({ contentLength: req.headers['content-length'] ?? null }, 'refused an oversized body');
    await this.refuse(req, res, (r) =>
      sendJson(r, 413, { error: 'payload_too_large', message: `request bodies are limited to ${max} bytes` }),
    );
  }

  /**
   * Answers a request whose body we do not want: after draining it (bounded), closing if it was too much. Only
   * `maxDrains` are drained at once: under a flood of refused uploads, reading them to their end is itself the
   * cost (CPU, and garbage for the collector), so the rest are answered at once and closed.
   */
  private async refuse(
    req: IncomingMessage,
    res: ServerResponse,
    answer: (res: ServerResponse) => void,
  ): Promise<void> {
    if (!req.complete && this.draining >= this.bodies.limits.maxDrains) {
      res.setHeader('connection', 'close');
      answer(res);
      res.once('finish', () => req.socket.destroy());
      return;
    }
    this.draining++;
    try {
      const ended = await discardRest(req);
      if (res.destroyed) return;
      if (!ended) res.setHeader('connection', 'close');
      answer(res);
    } finally {
      this.draining--;
    }
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

const busy = (res: ServerResponse): void => {
  res.setHeader('retry-after', '5');
  sendJson(res, 503, { error: 'busy', message: 'too many request bodies at once; try again shortly' });
};

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
    ...JSON_HEADERS,
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
