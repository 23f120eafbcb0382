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
import { BOT_REPOSITORY, SERVER_REPOSITORY, STACK_PREFIX } from '../naming.js';

export interface GitHubOidcProps {
  /** owner/repo */
  repository: string;
  /** The branch whose jobs may assume the diff role (the cdk-diff workflow runs there, never a PR's code). */
  defaultBranch: string;
  /** GitHub deployment environments whose jobs may deploy (`environment:<name>` in the token subject). */
  deployEnvironments: string[];
  topology: Topology;
  /** An existing provider for token.actions.githubusercontent.com; without it one is created here. */
  existingProviderArn?: string;
}

const ISSUER = 'token.actions.githubusercontent.com';
/** The default CDK bootstrap qualifier; the roles `cdk bootstrap` creates carry it in their names. */
const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** The one OIDC subject the diff role trusts: jobs on the default branch (workflow_run runs there). */
export const diffRoleSubject = (repository: string, defaultBranch: string) =>
  `repo:${repository}:ref:refs/heads/${defaultBranch}`;

/** Role name of one deployment environment's deploy role. */
export const deployRoleName = (environment: string) => `tunnelops-github-deploy-${environment}`;

/**
 * GitHub Actions OIDC: no long-lived AWS keys in GitHub. One deploy role per deployment environment, each
 * trusting only jobs of this repository that run in that environment (`environment:<name>`; GitHub protects
 * environments with reviewers), so a staging job cannot deploy with the prod role. The diff role can read but
 * not change anything, and trusts only jobs on the default branch (`ref:refs/heads/<branch>`): the cdk-diff
 * workflow, which GitHub runs from that branch's definition on a workflow_run event. A pull request's own jobs
 * (subject `pull_request`, whatever workflow the PR edits) only synthesise offline (cdk-synth.yml).
 */
export class GitHubOidc extends Construct {
  /** Deploy role per deployment environment name. */
  readonly deployRoles = new Map<string, iam.Role>();
  readonly diffRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubOidcProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // An account holds one provider per URL: import it when it exists (creating it again fails the deploy).
    const provider = props.existingProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'Provider', props.existingProviderArn)
      : new iam.OidcProviderNative(this, 'Provider', {
          url: `https://${ISSUER}`,
          clientIds: ['sts.amazonaws.com'],
        });
    const trust = (subjects: string[]) =>
      new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com', [`${ISSUER}:sub`]: subjects },
      });
    const bootstrapRole = (kind: string) =>
      `arn:${stack.partition}:iam::${stack.account}:role/cdk-${BOOTSTRAP_QUALIFIER}-${kind}-role-${stack.account}-${stack.region}`;

    for (const environment of props.deployEnvironments) {
      const role = new iam.Role(this, `DeployRole-${environment}`, {
        roleName: deployRoleName(environment),
        description: `cdk deploy from ${props.repository}, GitHub environment ${environment} only`,
        assumedBy: trust([`repo:${props.repository}:environment:${environment}`]),
        maxSessionDuration: Duration.hours(2),
      });
      // cdk deploy works through the bootstrap roles; src/cli/deploy.ts also reads status, takes the deploy
      // lock in the state table and moves traffic to the standby before touching the active tunnel.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'AssumeCdkBootstrapRoles',
          actions: ['sts:AssumeRole'],
          resources: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(bootstrapRole),
        }),
      );
      // The deploy workflow builds and pushes the images cdk.json names when ECR does not hold them yet.
      const repositories = [BOT_REPOSITORY, SERVER_REPOSITORY].map(
        (name) => `arn:${stack.partition}:ecr:${stack.region}:${stack.account}:repository/${name}`,
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'PushReleaseImages',
          actions: [
            'ecr:DescribeImages',
            'ecr:BatchGetImage',
            'ecr:BatchCheckLayerAvailability',
            'ecr:InitiateLayerUpload',
            'ecr:UploadLayerPart',
            'ecr:CompleteLayerUpload',
            'ecr:PutImage',
          ],
          resources: repositories,
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EcrLogin',
          actions: ['ecr:GetAuthorizationToken'],
          resources: ['*'],
        }),
      );
      for (const s of [
        routeSwitchStatement(this, props.topology.sites),
        ...observeStatements(this, props.topology.sites),
        stateTableStatement(this),
      ]) {
        role.addToPolicy(s);
      }
      acknowledge(role, [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "EC2 and CloudWatch Describe/Get calls support no resource-level permissions, ecs:ListTasks is limited by an ecs:cluster condition and DescribeTasks to the tunnel clusters' tasks.",
          appliesTo: observeWildcardFindings(this, props.topology.sites),
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ecr:GetAuthorizationToken (the docker login) has no resource-level permissions; pushing is limited to the two tunnelops repositories.',
          appliesTo: ['Resource::*'],
        },
      ]);
      this.deployRoles.set(environment, role);
    }

    this.diffRole = new iam.Role(this, 'DiffRole', {
      roleName: 'tunnelops-github-diff',
      description: `read-only cdk diff for pull requests of ${props.repository}, from ${props.defaultBranch} only`,
      assumedBy: trust([diffRoleSubject(props.repository, props.defaultBranch)]),
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
