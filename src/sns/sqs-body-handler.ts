import { createHash } from 'node:crypto';
import { parseBoundedJson } from '../domain/bounded-json.js';
import type { Logger } from '../log.js';
import { SnsRejection, type SnsVerifier } from './sns-verifier.js';

export interface AlarmIngestor {
  ingestMessage(
    messageId: string,
    message: string,
    log: Logger,
  ): Promise<{ status: string; reason?: string; settled: () => Promise<void> }>;
}

/**
 * An SQS body from SNS -> SQS: either the SNS envelope (raw delivery off; verified like POST /sns, but
 * with SQS's retention as the age limit) or, with raw delivery, the alarm/event JSON itself (trusted
 * through the queue policy; deduped on its hash). 'done' only once Slack shows the change.
 */
export function createSqsBodyHandler(props: { verifier: SnsVerifier; alarms: AlarmIngestor }) {
  return async (body: string, log: Logger): Promise<'done' | 'retry'> => {
    let envelope = false;
    try {
      const json = parseBoundedJson(body) as Record<string, unknown>;
      envelope =
        typeof json === 'object' && json !== null && typeof json.Type === 'string' && 'Signature' in json;
    } catch {
      log.warn('SQS body is not JSON; leaving it for the dead-letter queue');
      return 'retry';
    }
    let messageId: string;
    let message: string;
    if (envelope) {
      try {
        const verified = await props.verifier.verify(body);
        if (verified.Type !== 'Notification') return 'done';
        messageId = verified.MessageId;
        message = verified.Message;
      } catch (err) {
        log.warn(
          { reason: err instanceof SnsRejection ? err.reason : String(err) },
          'SQS body failed SNS verification',
        );
        return 'retry';
      }
    } else {
      messageId = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      message = body;
    }
    const result = await props.alarms.ingestMessage(messageId, message, log);
    if (result.status === 'ignored') log.info({ reason: result.reason }, 'SQS alarm not applied');
    await result.settled();
    return 'done';
  };
}
