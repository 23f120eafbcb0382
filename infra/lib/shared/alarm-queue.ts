import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_TOPIC_PATTERN } from '../naming.js';

/**
 * SNS -> SQS -> bot: the bot long-polls this queue (TUNNELOPS_ALARM_QUEUE_URL), so no alarm is lost
 * while it restarts or deploys; messages it cannot handle five times land in the DLQ. Every site's alarm
 * topic (`tunnelops-<site>-alarms`) may send here; nothing else may.
 */
export class AlarmQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const topicArns = stack.formatArn({ service: 'sns', resource: ALARM_TOPIC_PATTERN });
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'tunnelops alarm queue' });
    // SNS encrypts into the queue with this key on the topics' behalf.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        resources: ['*'],
        conditions: { ArnLike: { 'aws:SourceArn': topicArns } },
      }),
    );
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const dlq = this.deadLetters;
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(60),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
    });
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SiteAlarmTopics',
        actions: ['sqs:SendMessage'],
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        resources: [this.queue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': topicArns } },
      }),
    );
  }
}
