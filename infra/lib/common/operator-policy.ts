import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AUDIT_FEED_INDEX, sharedRecordPartition } from '../../../src/aws/dynamo-table.js';
import { EC2_BUDGET_NS } from '../../../src/aws/ec2-request-budget.js';
import type { Site } from '../../../src/config/topology-schema.js';
import { STATE_TABLE_NAME } from '../naming.js';
import { arnFinding } from './nag.js';

/**
 * IAM statements shared by the principals that operate tunnels (the failover controller, the bot, the
 * deploy role): each one is as narrow as the action allows. Describe/Get calls cannot be scoped below
 * `*` in EC2 and CloudWatch; every mutating call is scoped to named resources.
 */
const arn = (scope: Construct, service: string, resource: string, resourceName: string) =>
  Stack.of(scope).formatArn({ service, resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });

export const routeTableArns = (scope: Construct, sites: readonly Site[]) =>
  sites.flatMap((s) => s.routeTableIds.map((id) => arn(scope, 'ec2', 'route-table', id)));

const clusterArns = (scope: Construct, sites: readonly Site[]) => [
  ...new Set(sites.flatMap((s) => s.tunnels.map((t) => arn(scope, 'ecs', 'cluster', t.ecs.cluster)))),
];
const serviceArns = (scope: Construct, sites: readonly Site[]) =>
  sites.flatMap((s) =>
    s.tunnels.map((t) => arn(scope, 'ecs', 'service', `${t.ecs.cluster}/${t.ecs.service}`)),
  );

export const stateTableArn = (scope: Construct) => arn(scope, 'dynamodb', 'table', STATE_TABLE_NAME);
/** The all-sites audit view (src/aws/dynamo-table.ts). */
const auditFeedArn = (scope: Construct) =>
  arn(scope, 'dynamodb', 'table', `${STATE_TABLE_NAME}/index/${AUDIT_FEED_INDEX}`);

/**
 * ec2:ReplaceRoute (the atomic route switch; never delete+create) and ec2:CreateRoute (a missing route is
 * created, never left to fail every failover) on exactly the sites' route tables.
 */
export function routeSwitchStatement(scope: Construct, sites: readonly Site[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'SwitchRoutes',
    actions: ['ec2:ReplaceRoute', 'ec2:CreateRoute'],
    resources: routeTableArns(scope, sites),
  });
}

/** Read-only view of routes, instances, tasks, metrics and alarms. */
export function observeStatements(scope: Construct, sites: readonly Site[]): iam.PolicyStatement[] {
  const clusters = clusterArns(scope, sites);
  return [
    new iam.PolicyStatement({
      sid: 'DescribeNetwork',
      actions: [
        'ec2:DescribeRouteTables',
        'ec2:DescribeInstances',
        'ec2:DescribeNetworkInterfaces',
        // routeDestination: prefix-list: the site's list id, found by its name.
        'ec2:DescribeManagedPrefixLists',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'DescribeServices',
      actions: ['ecs:DescribeServices'],
      resources: serviceArns(scope, sites),
    }),
    new iam.PolicyStatement({
      sid: 'DescribeTasks',
      actions: ['ecs:DescribeTasks'],
      resources: [
        ...new Set(
          sites.flatMap((s) => s.tunnels.map((t) => arn(scope, 'ecs', 'task', `${t.ecs.cluster}/*`))),
        ),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'ListTasks',
      actions: ['ecs:ListTasks'],
      resources: ['*'],
      conditions: { ArnEquals: { 'ecs:cluster': clusters } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadMetricsAndAlarms',
      actions: ['cloudwatch:GetMetricData', 'cloudwatch:DescribeAlarms'],
      resources: ['*'],
    }),
  ];
}

/** `/vpn redeploy`: force a new deployment of a tunnel's own service, nothing else. */
export function redeployStatement(scope: Construct, sites: readonly Site[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'RedeployTunnels',
    actions: ['ecs:UpdateService'],
    resources: serviceArns(scope, sites),
  });
}

/** The state table only (locks, approvals, heartbeats, audit), every site's. */
export function stateTableStatement(scope: Construct): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'StateTable',
    actions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      // The status of a fleet reads every tunnel's heartbeat in one batched read (Store.getMany).
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
    ],
    resources: [stateTableArn(scope), auditFeedArn(scope)],
  });
}

/**
 * The partitions of one site (src/aws/dynamo-store.ts keeps its heartbeats, lease, notices and outbox under
 * `site#<site>#...` and its audit under `audit#site#<site>`): what a server host may read and write. Every
 * action here names its items' partition key, so ForAllValues over dynamodb:LeadingKeys holds each one to
 * the site; nothing that reads without a key (Scan, the all-sites index) is granted.
 */
export const siteStateLeadingKeys = (site: string): string[] => [`site#${site}#*`, `audit#site#${site}`];
export function siteStateStatement(scope: Construct, site: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'OwnSiteState',
    actions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
    ],
    resources: [stateTableArn(scope)],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': siteStateLeadingKeys(site) } },
  });
}

/**
 * The account's shared EC2 request budget (src/aws/ec2-request-budget.ts): one partition of records, one per
 * region and API, that every process pacing its EC2 calls advances (Store.advance: a conditional UpdateItem, or
 * a conditional PutItem that starts it again, and a GetItem when the wait is refused). Nothing else of the table is reachable through it; the budget bounds the wait any record can impose
 * (waitBoundMs), so a host that writes a forged one cannot hold other sites' route changes.
 */
export const ec2BudgetLeadingKeys = (): string[] => [sharedRecordPartition(EC2_BUDGET_NS)];
export function ec2BudgetStatement(scope: Construct): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'SharedEc2RequestBudget',
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    resources: [stateTableArn(scope)],
    conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ec2BudgetLeadingKeys() } },
  });
}

/** Finding ids of the unavoidable wildcards in observeStatements, for cdk-nag acknowledgements. */
export function observeWildcardFindings(scope: Construct, sites: readonly Site[]): string[] {
  const clusters = new Set(sites.flatMap((s) => s.tunnels.map((t) => t.ecs.cluster)));
  return ['Resource::*', ...[...clusters].map((c) => arnFinding(scope, 'ecs', 'task', `${c}/*`))];
}
