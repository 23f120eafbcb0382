import { TunnelOpsError } from '../domain/errors.js';
import type { AuthCheck } from '../http/server.js';

const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

/**
 * The route option for POST /sns: SNS names the message type and the topic in headers on every delivery, so
 * a post that is not from an allowed topic is refused before its body is read. The signature, and the topic
 * the body names, are checked over the body (SnsVerifier). The answer names nothing of our configuration.
 */
export const snsHeaderCheck =
  (allowedTopics: ReadonlySet<string>): AuthCheck =>
  (head) => {
    const type = head.headers['x-amz-sns-message-type'];
    const topic = head.headers['x-amz-sns-topic-arn'];
    const reason =
      typeof type !== 'string' || !TYPES.has(type)
        ? 'x-amz-sns-message-type is missing or not an SNS message type'
        : typeof topic !== 'string' || !allowedTopics.has(topic)
          ? `topic ${String(topic).slice(0, 256)} is not in TUNNELOPS_SNS_TOPIC_ARNS`
          : null;
    if (reason === null) return;
    head.log.warn({ reason }, 'rejected SNS message'); // the reason is for the operator, not for the caller
    throw new TunnelOpsError('forbidden', 'not an SNS delivery this endpoint accepts');
  };
