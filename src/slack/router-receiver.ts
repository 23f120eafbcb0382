import type { ServerResponse } from 'node:http';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { parseBoundedJson } from '../domain/bounded-json.js';
import { BadRequestError, UnauthorizedError } from '../domain/errors.js';
import { sendError } from '../http/errors.js';
import { type RoutedRequest, sendJson, sendText } from '../http/server.js';
import { logFailure } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { verifySlackRequest } from './request-signature.js';
import { failedOnOurSideText } from './views/failure-view.js';

/**
 * A Bolt receiver served by our own HTTP server at POST /slack/events, so Slack, SNS, GitHub and the API
 * share one port. Verifies the signature before Bolt sees anything; acks go straight back as the response.
 */
export class RouterReceiver implements Receiver {
  private app: App | undefined;

  constructor(
    private readonly signingSecret: string,
    private readonly clock: Clock,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  readonly handle = async (req: RoutedRequest, res: ServerResponse): Promise<void> => {
    try {
      verifySlackRequest(this.signingSecret, req.headers, req.rawBody, this.clock.now());
    } catch (err) {
      req.log.warn({ reason: (err as Error).message }, 'rejected Slack request');
      sendError(res, err instanceof UnauthorizedError ? err : new UnauthorizedError('bad signature'));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(req);
    } catch (err) {
      req.log.warn({ reason: (err as Error).message }, 'malformed Slack request');
      sendError(res, err);
      return;
    }
    if (body.ssl_check) {
      sendText(res, 200, '');
      return;
    }
    if (body.type === 'url_verification' && typeof body.challenge === 'string') {
      sendJson(res, 200, { challenge: body.challenge });
      return;
    }
    await this.dispatch(req, res, body);
  };

  private async dispatch(
    req: RoutedRequest,
    res: ServerResponse,
    body: Record<string, unknown>,
  ): Promise<void> {
    if (!this.app) throw new Error('RouterReceiver used before Bolt initialised it');
    let acked = false;
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        if (response === undefined || response === '') sendText(res, 200, '');
        else if (typeof response === 'string') sendJson(res, 200, { text: response });
        else sendJson(res, 200, response);
      },
    };
    const retry = req.headers['x-slack-retry-num'];
    if (typeof retry === 'string' && /^\d+$/.test(retry)) event.retryNum = Number(retry);
    try {
      await this.app.processEvent(event);
    } catch (err) {
      if (acked) {
        req.log.error({ err }, 'Slack listener failed after ack');
        return;
      }
      acked = true;
      // Bolt reads fields Slack always sends; a TypeError before the ack means the payload lacked them.
      if (err instanceof TypeError) {
        req.log.warn({ err }, 'malformed Slack payload');
        sendJson(res, 400, { error: 'bad_request', message: 'malformed Slack payload' });
        return;
      }
      const errorId = logFailure(req.log, err, 'Slack listener failed');
      sendJson(res, 200, {
        response_type: 'ephemeral',
        text: failedOnOurSideText(errorId),
      });
      return;
    }
    if (!acked) {
      acked = true;
      sendJson(res, 400, { error: 'unhandled', message: 'no handler for this Slack request' });
    }
  }
}

/** Slash commands and interactivity are form-encoded (interactivity in a `payload` JSON field); events are JSON. */
function parseSlackBody(req: RoutedRequest): Record<string, unknown> {
  const text = req.rawBody.toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) return asObject(parseJson(text));
  if (type.startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text);
    const payload = form.get('payload');
    if (payload !== null) return asObject(parseJson(payload));
    return Object.fromEntries(form.entries());
  }
  throw new BadRequestError(`unsupported content type "${type.slice(0, 60)}"`);
}

const parseJson = (text: string): unknown => parseBoundedJson(text);

function asObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new BadRequestError('body is not a JSON object');
  return value as Record<string, unknown>;
}
