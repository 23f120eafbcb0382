import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../log.js';

/** What to do with one SQS body: 'done' deletes it, 'retry' leaves it (redelivered, then redriven to the DLQ). */
export type SqsBodyHandler = (body: string, log: Logger) => Promise<'done' | 'retry'>;

export interface SqsAlarmConsumerProps {
  sqs: SQSClient;
  queueUrl: string;
  handle: SqsBodyHandler;
  log: Logger;
  /** Long-poll wait (max 20 s). */
  waitTimeSeconds?: number;
  maxMessages?: number;
  /** Pause after a failed ReceiveMessage, so an outage does not spin. */
  errorBackoffMs?: number;
  /** Pause after an empty receive that returned at once (long polling off), so the loop never spins. */
  idleBackoffMs?: number;
}

/** The region of a queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/alarms. */
export function regionOfQueueUrl(url: string): string | undefined {
  return /^https:\/\/sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(url)?.[1];
}

/**
 * SNS -> SQS, so no alarm is lost while the bot restarts: long-polls the queue, and deletes a message only
 * after its handler says the Slack side is done. Failures are left in the queue: SQS redelivers them after
 * the visibility timeout, and the queue's redrive policy moves repeat failures to the dead-letter queue.
 */
export class SqsAlarmConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  stats = { received: 0, deleted: 0, left: 0 };

  constructor(private readonly props: SqsAlarmConsumerProps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    await this.loop;
  }

  /** One ReceiveMessage and the handling of what it returned; exposed for tests. */
  async pollOnce(): Promise<number> {
    const { sqs, queueUrl, log } = this.props;
    this.abort = new AbortController();
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: this.props.waitTimeSeconds ?? 20,
        MaxNumberOfMessages: this.props.maxMessages ?? 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      { abortSignal: this.abort.signal },
    );
    const messages = out.Messages ?? [];
    await Promise.all(
      messages.map(async (m) => {
        this.stats.received++;
        const mlog = log.child({
          sqsMessageId: m.MessageId,
          receiveCount: m.Attributes?.ApproximateReceiveCount,
        });
        let verdict: 'done' | 'retry';
        try {
          verdict = await this.props.handle(m.Body ?? '', mlog);
        } catch (err) {
          mlog.warn({ err }, 'alarm from SQS failed; leaving it for redelivery');
          verdict = 'retry';
        }
        if (verdict === 'retry' || !m.ReceiptHandle) {
          this.stats.left++;
          return;
        }
        try {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
          this.stats.deleted++;
        } catch (err) {
          // E.g. the visibility timeout passed and SQS handed it out again: that copy will be deleted instead.
          mlog.warn({ err }, 'could not delete the SQS message');
        }
      }),
    );
    return messages.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const started = Date.now();
        const count = await this.pollOnce();
        if (count === 0 && Date.now() - started < 1000) await this.pause(this.props.idleBackoffMs ?? 1000);
      } catch (err) {
        if (!this.running) break;
        this.props.log.error({ err }, 'SQS ReceiveMessage failed');
        await this.pause(this.props.errorBackoffMs ?? 5000);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort?.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
