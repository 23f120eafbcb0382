import { Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface AlarmTopicProps {
  topicName: string;
  description: string;
  /** The bot's alarm queue (SNS -> SQS -> bot). */
  alarmQueueArn: string;
  /** Also mailed here (context alarmEmail): an alert path that does not depend on the bot. */
  email?: string | undefined;
}

/**
 * An encrypted SNS topic that CloudWatch alarms publish to, feeding the bot's alarm queue (and an e-mail
 * address when one is set). Its children keep the ids `Key`, `Topic`, `ToBotQueue` under `scope`, so the
 * site topics kept their logical ids when this was factored out (the topic has a fixed name: a new logical
 * id would fail the deploy).
 */
export function alarmTopic(scope: Construct, props: AlarmTopicProps): sns.Topic {
  // CloudWatch publishes alarm notifications into the encrypted topic.
  const key = keyForService(scope, 'Key', props.description, 'cloudwatch.amazonaws.com');
  const topic = new sns.Topic(scope, 'Topic', {
    topicName: props.topicName,
    masterKey: key,
    enforceSSL: true,
  });
  new sns.Subscription(scope, 'ToBotQueue', {
    topic,
    protocol: sns.SubscriptionProtocol.SQS,
    endpoint: props.alarmQueueArn,
  });
  if (props.email) {
    new sns.Subscription(scope, 'ToEmail', {
      topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: props.email,
    });
  }
  return topic;
}

/**
 * A rotating customer key that an AWS service of this account may encrypt with (writing into an encrypted
 * topic or queue on our behalf).
 */
export function keyForService(scope: Construct, id: string, description: string, service: string): kms.Key {
  const key = new kms.Key(scope, id, { enableKeyRotation: true, description });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      principals: [new iam.ServicePrincipal(service)],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  return key;
}

/** Sends both ALARM and OK of each alarm to the topic (the bot updates one message per alarm in place). */
export function notify(topic: sns.ITopic, alarms: cloudwatch.Alarm[]): void {
  for (const alarm of alarms) {
    alarm.addAlarmAction(new actions.SnsAction(topic));
    alarm.addOkAction(new actions.SnsAction(topic));
  }
}
