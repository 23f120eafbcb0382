import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { SERVER_PKI_FILES } from '../../../src/pki/names.js';
import { acknowledge, arnFinding } from '../common/nag.js';
import type { PlacedTunnel } from '../config/resolve-site.js';
import { certPrefix } from '../naming.js';

export interface TunnelInstanceRoleProps {
  siteName: string;
  placed: PlacedTunnel;
  bucket: s3.IBucket;
  key: kms.IKey;
  eipAllocationId: string;
  /** The tunnel's network interface (route target) that the instance attaches at boot. */
  eniId: string;
  clusterName: string;
  serviceName: string;
  /** The boot log group's name (one stream per instance). */
  bootLogGroupName: string;
}

/**
 * The server instance's role: read its own PKI files (and its CRL, again every 30 s), decrypt only objects under its own prefix, move its
 * own Elastic IP onto itself, attach its own tunnel interface, turn off its own source/dest check, signal its
 * own stack, ship its boot log, run the ECS agent for its cluster, and be reachable by Session Manager.
 * EC2 cannot name "this instance" in a policy before it exists, so instance-level actions are limited to
 * instances carrying this tunnel's tag (which the ASG sets and the role cannot change).
 */
export function tunnelInstanceRole(scope: Construct, p: TunnelInstanceRoleProps): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
  });
  const prefix = certPrefix(p.siteName, p.placed.tunnel.name);
  const tagged = {
    StringEquals: { [`ec2:ResourceTag/${p.placed.instanceTag.key}`]: p.placed.instanceTag.value },
  };
  const ec2Arn = (resource: string, name: string) =>
    stack.formatArn({
      service: 'ec2',
      resource,
      resourceName: name,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const ecsArn = (resource: string, name: string) =>
    stack.formatArn({
      service: 'ecs',
      resource,
      resourceName: name,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const bootLogStreams = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${p.bootLogGroupName}:log-stream:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const statements = [
    new iam.PolicyStatement({
      sid: 'OwnCertificates',
      actions: ['s3:GetObject'],
      resources: SERVER_PKI_FILES.map((f) => p.bucket.arnForObjects(`${prefix}${f}`)),
    }),
    new iam.PolicyStatement({
      sid: 'DecryptOwnCertificates',
      actions: ['kms:Decrypt'],
      resources: [p.key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': p.bucket.arnForObjects(`${prefix}*`) },
      },
    }),
    new iam.PolicyStatement({
      sid: 'TakeOwnElasticIp',
      actions: ['ec2:AssociateAddress'],
      resources: [ec2Arn('elastic-ip', p.eipAllocationId), ec2Arn('instance', '*')],
      conditions: tagged,
    }),
    new iam.PolicyStatement({
      sid: 'AttachOwnTunnelInterface',
      actions: ['ec2:AttachNetworkInterface'],
      resources: [ec2Arn('network-interface', p.eniId), ec2Arn('instance', '*')],
      conditions: tagged,
    }),
    new iam.PolicyStatement({
      sid: 'WatchTunnelInterface',
      actions: ['ec2:DescribeNetworkInterfaces'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'SignalOwnStack',
      actions: ['cloudformation:SignalResource'],
      resources: [
        stack.formatArn({
          service: 'cloudformation',
          resource: 'stack',
          resourceName: `${stack.stackName}/*`,
        }),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'ReadOwnService',
      actions: ['ecs:DescribeServices'],
      resources: [ecsArn('service', `${p.clusterName}/${p.serviceName}`)],
    }),
    new iam.PolicyStatement({
      sid: 'ShipBootLog',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [bootLogStreams],
    }),
    new iam.PolicyStatement({
      sid: 'DisableOwnSourceDestCheck',
      actions: ['ec2:ModifyInstanceAttribute'],
      resources: [ec2Arn('instance', '*')],
      conditions: tagged,
    }),
    // The ECS agent, as CDK grants it for cluster capacity, but per container instance instead of "*".
    new iam.PolicyStatement({
      sid: 'EcsAgentCluster',
      actions: ['ecs:RegisterContainerInstance', 'ecs:DeregisterContainerInstance', 'ecs:Submit*'],
      resources: [ecsArn('cluster', p.clusterName)],
    }),
    new iam.PolicyStatement({
      sid: 'EcsAgentInstance',
      actions: ['ecs:Poll', 'ecs:StartTelemetrySession', 'ecs:Submit*'],
      resources: [ecsArn('container-instance', `${p.clusterName}/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'EcsAgentDiscovery',
      actions: ['ecs:DiscoverPollEndpoint', 'ecr:GetAuthorizationToken'],
      resources: ['*'],
    }),
  ];
  for (const s of statements) role.addToPolicy(s);
  // Session Manager instead of SSH: no inbound port, access logged by CloudTrail.
  role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'));
  acknowledge(role, [
    {
      id: 'AwsSolutions-IAM4',
      reason:
        'AmazonSSMManagedInstanceCore is the documented minimal policy for Session Manager access (no SSH port is open); it grants the SSM agent its channel, nothing on other resources.',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore'],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "The instance id is unknown until the ASG launches it, so instance actions name instance/* limited by the tunnel tag condition; DescribeNetworkInterfaces has no resource-level permissions; the boot log names streams by instance id (log-stream:*) in its own group; the stack signal names the stack's generated id (/*); the ECS agent gets container-instance/<cluster>/* and Submit* (its documented set); DiscoverPollEndpoint and GetAuthorizationToken have no resource-level permissions; kms:Decrypt is bound to this server's prefix by the encryption-context condition.",
      appliesTo: [
        'Resource::*',
        'Action::ecs:Submit*',
        `Resource::arn:<AWS::Partition>:logs:${stack.region}:${stack.account}:log-group:${p.bootLogGroupName}:log-stream:*`,
        arnFinding(scope, 'cloudformation', 'stack', `${stack.stackName}/*`),
        arnFinding(scope, 'ec2', 'instance', '*'),
        arnFinding(scope, 'ecs', 'container-instance', `${p.clusterName}/*`),
      ],
    },
  ]);
  return role;
}
