import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { backstopTickInput } from '../../../src/lambda/backstop-tick.js';
import { backstopScheduleName } from '../naming.js';

export interface BackstopScheduleProps {
  site: string;
  fn: lambda.IFunction;
  /** The controller's dead-letter queue (and its key): a tick the scheduler could not deliver lands there. */
  deadLetters: sqs.IQueue;
  deadLetterKey: kms.IKey;
}

/** Every minute, as EventBridge's rate(1 minute) rule did. */
export const BACKSTOP_RATE = 'rate(1 minute)';
/**
 * Each tick lands somewhere in the minute after it is due. With one Lambda per site, a fixed schedule fires the
 * whole fleet's reconciles in the same second (500 DescribeRouteTables + 500 DescribeInstances in one burst: 20 s
 * of the Describe buckets' refill, queued in front of any failover's reads); a flexible window is what
 * EventBridge Scheduler documents as dispersing invocations. 1 minute is the smallest window the API takes
 * (MaximumWindowInMinutes 1-1440) and no longer than the rate, so a site still reconciles about once a minute
 * (two ticks at most 2 minutes apart).
 */
export const BACKSTOP_WINDOW_MINUTES = 1;

/**
 * The backstop's reconcile tick: an EventBridge Scheduler schedule invoking the site's controller Lambda with a
 * flexible time window. Its role may invoke that one function and put an undeliverable tick in the
 * controller's own dead-letter queue (which the dead-letter alarm watches), nothing else; only schedules of
 * this account's default group may assume it.
 */
export class BackstopSchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BackstopScheduleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: `tunnelops ${props.site}: EventBridge Scheduler invokes the failover controller's reconcile`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
      inlinePolicies: {
        InvokeController: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'InvokeController',
              actions: ['lambda:InvokeFunction'],
              resources: [props.fn.functionArn],
            }),
            new iam.PolicyStatement({
              sid: 'UndeliveredTicks',
              actions: ['sqs:SendMessage'],
              resources: [props.deadLetters.queueArn],
            }),
            new iam.PolicyStatement({
              sid: 'UndeliveredTicksKey',
              actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
              resources: [props.deadLetterKey.keyArn],
            }),
          ],
        }),
      },
    });
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: backstopScheduleName(props.site),
      description: `${props.site}: reconcile routes and health every minute, at a point spread over the minute`,
      scheduleExpression: BACKSTOP_RATE,
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: BACKSTOP_WINDOW_MINUTES },
      state: 'ENABLED',
      target: {
        arn: props.fn.functionArn,
        roleArn: this.role.roleArn,
        input: JSON.stringify(
          backstopTickInput({
            id: '<aws.scheduler.execution-id>',
            scheduledTime: '<aws.scheduler.scheduled-time>',
          }),
        ),
        // A tick older than a minute is overtaken by the next one; Lambda's own retries cover the function.
        retryPolicy: { maximumEventAgeInSeconds: Duration.minutes(1).toSeconds(), maximumRetryAttempts: 2 },
        deadLetterConfig: { arn: props.deadLetters.queueArn },
      },
    });
  }
}
