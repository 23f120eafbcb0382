import type { ServerResponse } from 'node:http';
import { type RoutedRequest, type RouteHandler, sendJson } from '../http/server.js';
import type { Logger } from '../log.js';
import type { SnsMessage, SnsNotification } from './sns-message.js';
import { SnsRejection, type SnsVerifier } from './sns-verifier.js';
import { checkSnsUrl } from './verify-sns-signature.js';

export interface IngestResult {
  status: 'accepted' | 'duplicate' | 'ignored';
  reason?: string;
}

/** Where verified notifications go (the AlarmService). */
export interface NotificationSink {
  ingest(notification: SnsNotification, log: Logger): Promise<IngestResult>;
}

export type ConfirmSubscription = (subscribeUrl: string) => Promise<void>;

/** Visiting SubscribeURL confirms the subscription (what the SNS console's "confirm" link does). */
const confirmByGet: ConfirmSubscription = async (url) => {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  await res.text();
  if (res.status !== 200) throw new Error(`SubscribeURL answered HTTP ${res.status}`);
};

export interface SnsEndpointProps {
  verifier: SnsVerifier;
  sink: NotificationSink;
  confirm?: ConfirmSubscription;
}

type SubscriptionConfirmation = Extract<SnsMessage, { Type: 'SubscriptionConfirmation' }>;

/** POST /sns: verify, then confirm subscriptions, log unsubscribes, hand notifications to the sink. */
export function createSnsEndpoint(props: SnsEndpointProps): RouteHandler {
  const confirm = props.confirm ?? confirmByGet;
  return async (req: RoutedRequest, res: ServerResponse) => {
    const message = await verifyOrReject(props.verifier, req, res);
    if (!message) return;
    const log = req.log.child({
      snsMessageId: message.MessageId,
      topic: message.TopicArn,
      type: message.Type,
    });
    switch (message.Type) {
      case 'SubscriptionConfirmation':
        return confirmSubscription(message, confirm, log, res);
      case 'UnsubscribeConfirmation':
        log.warn('SNS topic unsubscribed this endpoint; alarms from it will stop arriving');
        sendJson(res, 200, { status: 'unsubscribed' });
        return;
      case 'Notification':
        return ingestNotification(message, props.sink, log, res);
    }
  };
}

/** The verified message, or undefined once the caller has been answered with the rejection. */
async function verifyOrReject(
  verifier: SnsVerifier,
  req: RoutedRequest,
  res: ServerResponse,
): Promise<SnsMessage | undefined> {
  const header = req.headers['x-amz-sns-message-type'];
  try {
    return await verifier.verify(
      req.rawBody.toString('utf8'),
      typeof header === 'string' ? header : undefined,
    );
  } catch (err) {
    const rejection = err instanceof SnsRejection ? err : new SnsRejection(400, 'unverifiable message');
    // The reason (topic allowlist, certificate trouble) is for the operator's log, not for the caller.
    req.log.warn({ reason: rejection.reason, status: rejection.status }, 'rejected SNS message');
    sendJson(res, rejection.status, { error: 'rejected', requestId: req.id });
    return undefined;
  }
}

async function confirmSubscription(
  message: SubscriptionConfirmation,
  confirm: ConfirmSubscription,
  log: Logger,
  res: ServerResponse,
): Promise<void> {
  const problem = checkSnsUrl(message.SubscribeURL, 'subscribe');
  if (problem) {
    log.warn({ reason: problem }, 'rejected SNS subscription confirmation');
    sendJson(res, 403, { error: 'rejected', reason: problem });
    return;
  }
  try {
    await confirm(message.SubscribeURL);
  } catch (err) {
    log.error({ err }, 'could not confirm the SNS subscription');
    sendJson(res, 502, { error: 'confirm_failed' });
    return;
  }
  log.info('confirmed SNS subscription');
  sendJson(res, 200, { status: 'confirmed' });
}

async function ingestNotification(
  message: SnsNotification,
  sink: NotificationSink,
  log: Logger,
  res: ServerResponse,
): Promise<void> {
  let result: IngestResult;
  try {
    result = await sink.ingest(message, log);
  } catch (err) {
    // 5xx makes SNS retry; ingest undid its dedupe key so the retry is not taken for a duplicate.
    log.error({ err }, 'could not ingest SNS notification');
    sendJson(res, 500, { error: 'ingest_failed' });
    return;
  }
  if (result.status !== 'accepted')
    log.info({ status: result.status, reason: result.reason }, 'SNS notification not applied');
  sendJson(res, 200, { status: result.status, ...(result.reason ? { reason: result.reason } : {}) });
}
