import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Probot } from 'probot';
import { parseBoundedJson } from '../domain/bounded-json.js';
import { TunnelOpsError } from '../domain/errors.js';
import { sendError } from '../http/errors.js';
import {
  type AuthCheck,
  type RequestHead,
  type RoutedRequest,
  type RouteHandler,
  sendJson,
  sendText,
} from '../http/server.js';
import type { Store } from '../ports/store.js';

/**
 * GitHub caps payloads at 25 MB, but the events this app subscribes to (issue_comment, pull_request,
 * workflow_run, check_run, deployment_status) carry at most two 65,536-character texts plus repository
 * metadata: a few hundred KiB. 4 MiB leaves ample room and keeps one request cheap.
 */
export const MAX_WEBHOOK_BODY = 4 * 1024 * 1024;
export const WEBHOOK_JSON_LIMITS = { maxBytes: MAX_WEBHOOK_BODY, maxDepth: 32 };
const DELIVERY_NS = 'github-delivery';
/** A replayed delivery id is refused for this long (the `/deploy` handler also ignores older comments). */
export const DELIVERY_TTL_MS = 30 * 24 * 3600_000;
const EVENT_NAME = /^[a-z_]{1,64}$/;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

class WebhookRejection extends TunnelOpsError {}

/** X-Hub-Signature-256 over the raw body, compared in constant time. */
export function verifyGithubSignature(secret: string, rawBody: Buffer, header: unknown): boolean {
  if (typeof header !== 'string' || !SIGNATURE.test(header)) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const header = (req: RequestHead, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * What GitHub's headers must show before the body (up to 4 MiB) is read: a signature of the right shape, an
 * event name and a delivery id. The signature itself is checked over the body.
 */
function webhookHeaders(head: RequestHead): { name: string; delivery: string } {
  const signature = head.headers['x-hub-signature-256'];
  if (typeof signature !== 'string' || !SIGNATURE.test(signature))
    throw new WebhookRejection('unauthorized', 'missing or wrong X-Hub-Signature-256');
  const name = header(head, 'x-github-event');
  const delivery = header(head, 'x-github-delivery');
  if (!name || !EVENT_NAME.test(name) || !delivery || !DELIVERY_ID.test(delivery))
    throw new WebhookRejection('bad_request', 'missing or malformed X-GitHub-Event / X-GitHub-Delivery');
  return { name, delivery };
}

/** The route option: the header part of the check, run before the body is read. */
export const checkWebhookHeaders: AuthCheck = (head) => {
  webhookHeaders(head);
};

/**
 * POST /api/github/webhooks: the body is read (bounded) by our server, the signature checked here, the
 * delivery id claimed in the store (a replay is refused, also after a restart), and only then does Probot
 * see the event. Nothing of an unverified body is ever logged.
 */
export function createWebhookEndpoint(props: { probot: Probot; secret: string; store: Store }): RouteHandler {
  return async (req: RoutedRequest, res: ServerResponse) => {
    let name: string;
    let delivery: string;
    try {
      ({ name, delivery } = webhookHeaders(req));
      if (!verifyGithubSignature(props.secret, req.rawBody, req.headers['x-hub-signature-256']))
        throw new WebhookRejection('unauthorized', 'missing or wrong X-Hub-Signature-256');
    } catch (err) {
      req.log.warn({ reason: (err as Error).message }, 'rejected webhook');
      sendError(res, err, req.id);
      return;
    }
    let payload: unknown;
    try {
      payload = parseBoundedJson(req.rawBody.toString('utf8'), WEBHOOK_JSON_LIMITS);
    } catch (err) {
      req.log.warn({ reason: (err as Error).message, delivery }, 'rejected webhook');
      sendError(res, err, req.id);
      return;
    }
    const log = req.log.child({ delivery, event: name });
    if (!(await props.store.create(DELIVERY_NS, delivery, { event: name }, DELIVERY_TTL_MS))) {
      log.warn('webhook delivery seen before; ignored (replay or redelivery of a handled event)');
      sendJson(res, 200, { status: 'duplicate' });
      return;
    }
    try {
      await props.probot.receive({ id: delivery, name, payload } as Parameters<Probot['receive']>[0]);
    } catch (err) {
      // Free the id so GitHub's "Redeliver" can retry an event we failed to handle.
      await props.store.delete(DELIVERY_NS, delivery).catch(() => undefined);
      log.error({ err: summary(err) }, 'webhook handler failed');
      sendError(res, err, req.id);
      return;
    }
    sendText(res, 200, 'ok\n');
  };
}

/** Probot's AggregateError carries the whole event; log the messages only. */
function summary(err: unknown): { message: string; errors?: string[] } {
  const e = err as { message?: unknown; errors?: unknown };
  return {
    message: String(e?.message ?? err),
    ...(Array.isArray(e?.errors) ? { errors: e.errors.map((x) => String((x as Error)?.message ?? x)) } : {}),
  };
}
