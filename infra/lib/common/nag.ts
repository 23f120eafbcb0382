import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A cdk-nag finding we accept, with why. cdk-nag 3 acknowledges each finding by its exact id
 * (`AwsSolutions-IAM5[Resource::*]`); `appliesTo` lists the bracketed finding ids of one rule.
 */
export interface Acknowledgement {
  id: `AwsSolutions-${string}`;
  reason: string;
  appliesTo?: string[];
}

/** Every acknowledgement carries a written reason of at least a sentence (the tests check this too). */
export function acknowledge(scope: IConstruct, acks: Acknowledgement[]): void {
  for (const a of acks) {
    if (a.reason.trim().length < 40) throw new Error(`${a.id} on ${scope.node.path}: write a real reason`);
    const ids = a.appliesTo ? a.appliesTo.map((f) => `${a.id}[${f}]`) : [a.id];
    for (const id of ids) Validations.of(scope).acknowledge({ id, reason: a.reason });
  }
}

/** CDK warns that imported subnets have no route table id; we never use subnet route tables. */
export function acknowledgeNoSubnetRouteTable(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
    reason:
      "Subnets are imported only to place instances, tasks and the ALB; routes are managed in the topology's route tables by id.",
  });
}

/** The IAM5 finding id cdk-nag reports for a wildcard ARN built with Stack.formatArn in this stack. */
export function arnFinding(
  scope: IConstruct,
  service: string,
  resource: string,
  resourceName: string,
): string {
  const { region, account } = Stack.of(scope);
  return `Resource::arn:<AWS::Partition>:${service}:${region}:${account}:${resource}/${resourceName}`;
}
