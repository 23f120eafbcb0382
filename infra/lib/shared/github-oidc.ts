import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Topology } from '../../../src/config/topology-schema.js';
import { acknowledge, arnFinding } from '../common/nag.js';
import {
  observeStatements,
  observeWildcardFindings,
  routeSwitchStatement,
  stateTableStatement,
} from '../common/operator-policy.js';
import { STACK_PREFIX } from '../naming.js';

export interface GitHubOidcProps {
  /** owner/repo */
  repository: string;
  /** GitHub deployment environments whose jobs may deploy (`environment:<name>` in the token subject). */
  deployEnvironments: string[];
  topology: Topology;
}

const ISSUER = 'token.actions.githubusercontent.com';
/** The default CDK bootstrap qualifier; the roles `cdk bootstrap` creates carry it in their names. */
const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/**
 * GitHub Actions OIDC: no long-lived AWS keys in GitHub. The deploy role trusts only jobs of this repository
 * that run in one of its deployment environments (which GitHub protects with reviewers); the diff role only
 * this repository's pull-request jobs, and can read but not change anything.
 */
export class GitHubOidc extends Construct {
  readonly deployRole: iam.Role;
  readonly diffRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubOidcProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const provider = new iam.OidcProviderNative(this, 'Provider', {
      url: `https://${ISSUER}`,
      clientIds: ['sts.amazonaws.com'],
    });
    const trust = (subjects: string[]) =>
      new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com', [`${ISSUER}:sub`]: subjects },
      });
    const bootstrapRole = (kind: string) =>
      `arn:${stack.partition}:iam::${stack.account}:role/cdk-${BOOTSTRAP_QUALIFIER}-${kind}-role-${stack.account}-${stack.region}`;

    this.deployRole = new iam.Role(this, 'DeployRole', {
      roleName: 'tunnelops-github-deploy',
      description: `cdk deploy from ${props.repository} (environments: ${props.deployEnvironments.join(', ')})`,
      assumedBy: trust(props.deployEnvironments.map((env) => `repo:${props.repository}:environment:${env}`)),
      maxSessionDuration: Duration.hours(2),
    });
    // cdk deploy works through the bootstrap roles; src/cli/deploy.ts also reads status, takes the deploy
    // lock in the state table and moves traffic to the standby before touching the active tunnel.
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(bootstrapRole),
      }),
    );
    for (const s of [
      routeSwitchStatement(this, props.topology.sites),
      ...observeStatements(this, props.topology.sites),
      stateTableStatement(this),
    ]) {
      this.deployRole.addToPolicy(s);
    }

    this.diffRole = new iam.Role(this, 'DiffRole', {
      roleName: 'tunnelops-github-diff',
      description: `read-only cdk diff for pull requests of ${props.repository}`,
      assumedBy: trust([`repo:${props.repository}:pull_request`]),
      maxSessionDuration: Duration.hours(1),
    });
    this.diffRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkLookupRole',
        actions: ['sts:AssumeRole'],
        resources: [bootstrapRole('lookup')],
      }),
    );
    this.diffRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDeployedTemplates',
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:GetTemplate',
          'cloudformation:GetTemplateSummary',
        ],
        resources: [
          stack.formatArn({
            service: 'cloudformation',
            resource: 'stack',
            resourceName: `${STACK_PREFIX}-*`,
          }),
        ],
      }),
    );
    acknowledge(this.deployRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "EC2 and CloudWatch Describe/Get calls support no resource-level permissions, ecs:ListTasks is limited by an ecs:cluster condition and DescribeTasks to the tunnel clusters' tasks.",
        appliesTo: observeWildcardFindings(this, props.topology.sites),
      },
    ]);
    acknowledge(this.diffRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Stack ARNs end in a generated id, so the read-only diff role names the TunnelOps-* stacks by prefix.',
        appliesTo: [arnFinding(this, 'cloudformation', 'stack', `${STACK_PREFIX}-*`)],
      },
    ]);
  }
}
