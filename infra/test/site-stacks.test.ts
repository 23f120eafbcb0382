import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../src/config/load-topology.js';
import { backstopTickInput } from '../../src/lambda/backstop-tick.js';
import { ALARM_PERIOD_SECONDS } from '../lib/site/tunnel-alarms.js';
import {
  exampleContext,
  render,
  resourcesOfType,
  type Synthesized,
  synthesize,
  type Template,
} from './helpers/synth.js';

const ctx = exampleContext() as { availabilityZones: string[]; publicSubnetIds: string[]; vpcCidr: string };
const azOfSubnet = (id: string) => ctx.availabilityZones[ctx.publicSubnetIds.indexOf(id)];

describe('site dc1 from tunnels.yml', () => {
  let synth: Synthesized;
  let primary: Template;
  let secondary: Template;
  let control: Template;
  beforeAll(() => {
    synth = synthesize();
    primary = synth.templates['TunnelOps-dc1-primary']!;
    secondary = synth.templates['TunnelOps-dc1-secondary']!;
    control = synth.templates['TunnelOps-dc1-control']!;
  });

  it('has one stack per tunnel, named so the deploy runner can order them', () => {
    expect(Object.keys(synth.templates).sort()).toEqual(
      [
        'TunnelOps-Images',
        'TunnelOps-Shared',
        'TunnelOps-dc1',
        'TunnelOps-dc1-control',
        'TunnelOps-dc1-primary',
        'TunnelOps-dc1-secondary',
      ].sort(),
    );
  });

  it('runs each server in an ASG of exactly one instance, in one subnet, and the two in different AZs', () => {
    const azs = [primary, secondary].map((t) => {
      const asgs = resourcesOfType(t, 'AWS::AutoScaling::AutoScalingGroup');
      expect(asgs.length).toBe(1);
      const props = asgs[0]![1].Properties;
      expect([props.MinSize, props.MaxSize]).toEqual(['1', '1']);
      expect(props.VPCZoneIdentifier.length).toBe(1);
      return azOfSubnet(props.VPCZoneIdentifier[0]);
    });
    expect(azs).toEqual(['us-east-1a', 'us-east-1b']);
    expect(new Set(azs).size).toBe(2);
  });

  it('requires IMDSv2 on every launch template, from the AMI pinned in context', () => {
    const lts = Object.values(synth.templates).flatMap((t) => resourcesOfType(t, 'AWS::EC2::LaunchTemplate'));
    expect(lts.length).toBe(2);
    for (const [, lt] of lts) {
      expect(lt.Properties.LaunchTemplateData.MetadataOptions).toEqual({
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 1,
      });
      expect(lt.Properties.LaunchTemplateData.ImageId).toBe(
        (exampleContext() as { serverAmiId: string }).serverAmiId,
      );
    }
  });

  it('boots each server with its own certificate prefix, its own Elastic IP and source/dest check off', () => {
    for (const [tunnel, t] of [
      ['primary', primary],
      ['secondary', secondary],
    ] as const) {
      const [, lt] = resourcesOfType(t, 'AWS::EC2::LaunchTemplate')[0]!;
      const script = render(lt.Properties.LaunchTemplateData.UserData['Fn::Base64']);
      expect(script).toContain(`/dc1/${tunnel}/$f`);
      expect(script).not.toContain(`/dc1/${tunnel === 'primary' ? 'secondary' : 'primary'}/`);
      expect(script).toMatch(
        new RegExp(
          `associate-address --allocation-id <Import:TunnelOps-dc1:ExportsOutputFnGetAttEip${tunnel}`,
        ),
      );
      expect(script).toContain(
        'modify-instance-attribute --instance-id "$INSTANCE_ID" --no-source-dest-check',
      );
      expect(script).toContain('X-aws-ec2-metadata-token');
      expect(script).toContain(`ECS_INSTANCE_ATTRIBUTES={"tunnelops.tunnel":"dc1-${tunnel}"}`);
      expect(script).toMatch(
        new RegExp(`signal-resource --stack-name TunnelOps-dc1-${tunnel} --logical-resource-id ServerAsg`),
      );
    }
  });

  it('runs OpenVPN with host networking, NET_ADMIN and /dev/net/tun, and never privileged', () => {
    const all = Object.values(synth.templates).flatMap((t) => resourcesOfType(t, 'AWS::ECS::TaskDefinition'));
    for (const [, td] of all)
      for (const c of td.Properties.ContainerDefinitions) expect(c.Privileged).not.toBe(true);
    for (const t of [primary, secondary]) {
      const [[, td]] = resourcesOfType(t, 'AWS::ECS::TaskDefinition') as [[string, Template]];
      expect(td.Properties.NetworkMode).toBe('host');
      expect(td.Properties.RequiresCompatibilities).toEqual(['EC2']);
      const [c] = td.Properties.ContainerDefinitions;
      expect(c.Privileged).toBe(false);
      expect(c.LinuxParameters.Capabilities).toEqual({ Add: ['NET_ADMIN'] });
      expect(c.LinuxParameters.Devices).toEqual([
        { HostPath: '/dev/net/tun', ContainerPath: '/dev/net/tun' },
      ]);
      expect(c.LogConfiguration.LogDriver).toBe('awslogs');
      expect(c.MountPoints).toEqual([
        { SourceVolume: 'pki', ContainerPath: '/etc/tunnelops/pki', ReadOnly: true },
      ]);
      const env = Object.fromEntries(
        (c.Environment as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]),
      );
      expect(env).toMatchObject({
        TUNNELOPS_SITE: 'dc1',
        TUNNELOPS_TOPOLOGY: '/run/tunnelops/tunnels.yml',
        PKI_DIR: '/etc/tunnelops/pki',
      });
      // The server sees its own site without the Slack-only fields, checked by the topology schema.
      const seen = parseTopology(env.TUNNELOPS_TOPOLOGY_TEXT!);
      expect(seen.sites.map((x) => x.name)).toEqual(['dc1']);
      expect(seen.sites[0]!.onPremCidrs).toEqual(synth.stacks.topology.sites[0]!.onPremCidrs);
      expect(env.TUNNELOPS_TOPOLOGY_TEXT).not.toContain('UAPPROVER1');
      expect(c.Command[0]).toContain('exec /usr/local/bin/entrypoint.sh');
      // The task's logs and the boot logs.
      const logs = resourcesOfType(t, 'AWS::Logs::LogGroup');
      expect(logs.map(([, l]) => l.Properties.RetentionInDays)).toEqual([30, 30]);
    }
  });

  it("places each tunnel's service in the topology's cluster, pinned to its own instance", () => {
    for (const [tunnel, t] of [
      ['primary', primary],
      ['secondary', secondary],
    ] as const) {
      const [[, svc]] = resourcesOfType(t, 'AWS::ECS::Service') as [[string, Template]];
      expect(svc.Properties.Cluster).toBe('tunnelops-dc1');
      expect(svc.Properties.ServiceName).toBe(`dc1-${tunnel}`);
      expect(svc.Properties.LaunchType).toBe('EC2');
      expect(svc.Properties.PlacementConstraints).toEqual([
        { Type: 'memberOf', Expression: `attribute:tunnelops.tunnel == dc1-${tunnel}` },
      ]);
      expect(svc.Properties.DeploymentConfiguration).toMatchObject({
        MinimumHealthyPercent: 0,
        MaximumPercent: 100,
      });
    }
    const clusters = resourcesOfType(synth.templates['TunnelOps-dc1']!, 'AWS::ECS::Cluster');
    expect(clusters.map(([, c]) => c.Properties.ClusterName)).toEqual(['tunnelops-dc1']);
  });

  it("admits UDP 1194 only from the tunnel's on-prem public IP (plus routed VPC traffic)", () => {
    for (const [t, peer] of [
      [primary, '203.0.113.10/32'],
      [secondary, '203.0.113.11/32'],
    ] as const) {
      const [[, sg]] = resourcesOfType(t, 'AWS::EC2::SecurityGroup') as [[string, Template]];
      const ingress = sg.Properties.SecurityGroupIngress as Template[];
      const external = ingress.filter((r) => r.CidrIp !== ctx.vpcCidr);
      expect(external).toEqual([
        expect.objectContaining({ CidrIp: peer, IpProtocol: 'udp', FromPort: 1194, ToPort: 1194 }),
      ]);
      expect(ingress.some((r) => r.CidrIp === '0.0.0.0/0')).toBe(false);
    }
  });

  it("creates a route for every on-prem CIDR in every route table, pointing at the primary's tunnel interface", () => {
    const routes = resourcesOfType(control, 'AWS::EC2::Route').map(([, r]) => r.Properties);
    const pairs = routes.map((r) => `${r.RouteTableId} ${r.DestinationCidrBlock}`).sort();
    expect(pairs).toEqual([
      'rtb-0a1b2c3d4e5f60718 10.20.0.0/16',
      'rtb-0a1b2c3d4e5f60718 10.21.0.0/16',
      'rtb-0a1b2c3d4e5f60719 10.20.0.0/16',
      'rtb-0a1b2c3d4e5f60719 10.21.0.0/16',
    ]);
    for (const r of routes) {
      expect(render(r.NetworkInterfaceId)).toMatch(/^<Import:TunnelOps-dc1:ExportsOutputRefTunnelEniprimary/);
      expect(r.InstanceId).toBeUndefined();
    }
    // No deploy-time lookup of an instance any more.
    expect(resourcesOfType(control, 'Custom::AWS')).toEqual([]);
  });

  it("wakes the controller for this site's cluster, monitors and alarms only, and every minute", () => {
    const rules = resourcesOfType(control, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    const ecsRule = rules.find((r) => r.EventPattern?.source?.[0] === 'aws.ecs')!;
    expect(ecsRule.EventPattern['detail-type']).toEqual(['ECS Task State Change']);
    expect(ecsRule.EventPattern.detail.clusterArn.map(render)).toEqual([
      'arn:<AWS::Partition>:ecs:us-east-1:123456789012:cluster/tunnelops-dc1',
    ]);
    const health = rules.find((r) => r.EventPattern?.source?.[0] === 'tunnelops.monitor')!;
    expect(health.EventPattern).toEqual({
      source: ['tunnelops.monitor'],
      'detail-type': ['Tunnel Health Changed'],
      detail: { site: ['dc1'] },
    });
    const alarms = rules.find((r) => r.EventPattern?.source?.[0] === 'aws.cloudwatch')!;
    const alarmNames = alarms.EventPattern.resources.map((r: Template) => {
      const [logicalId, attr] = r['Fn::GetAtt'] as [string, string];
      expect(attr).toBe('Arn');
      return control.Resources[logicalId].Properties.AlarmName;
    });
    expect(alarmNames.sort()).toEqual(
      ['primary-down', 'primary-loss', 'secondary-down', 'secondary-loss'].map((n) => `tunnelops-dc1-${n}`),
    );
    // The 1-minute tick is EventBridge Scheduler's (next test), not a rule.
    expect(rules.filter((r) => r.ScheduleExpression)).toEqual([]);
    for (const r of rules) expect(r.Targets[0].DeadLetterConfig).toBeDefined();
    const fns = resourcesOfType(control, 'AWS::Lambda::Function')
      .map(([, f]) => f.Properties)
      .filter((f) => f.Handler === 'index.handler' && f.Runtime === 'nodejs24.x');
    expect(fns.length).toBe(1);
    expect(Object.keys(fns[0].Environment.Variables).sort()).toEqual([
      'LOG_LEVEL',
      'TUNNELOPS_DATA_DIR',
      'TUNNELOPS_SITE',
      'TUNNELOPS_STORE',
      'TUNNELOPS_TOPOLOGY',
    ]);
  });

  it('reconciles every minute through EventBridge Scheduler with a 1-minute flexible window, so 500 sites spread their reads', () => {
    const schedules = resourcesOfType(control, 'AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
    expect(schedules).toHaveLength(1);
    const s = schedules[0]!;
    expect(s).toMatchObject({
      Name: 'tunnelops-dc1-backstop',
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1 },
      State: 'ENABLED',
    });
    expect(s.GroupName).toBeUndefined(); // the default group: the one the role's trust names
    const [fnId] = s.Target.Arn['Fn::GetAtt'] as [string, string];
    expect(control.Resources[fnId].Type).toBe('AWS::Lambda::Function');
    expect(control.Resources[fnId].Properties.Handler).toBe('index.handler');
    // The controller's handler takes exactly this input (src/lambda/backstop-tick.ts, the handler test).
    expect(JSON.parse(s.Target.Input)).toEqual(
      backstopTickInput({
        id: '<aws.scheduler.execution-id>',
        scheduledTime: '<aws.scheduler.scheduled-time>',
      }),
    );
    expect(s.Target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 });
    const [dlqId] = s.Target.DeadLetterConfig.Arn['Fn::GetAtt'] as [string, string];
    expect(control.Resources[dlqId].Type).toBe('AWS::SQS::Queue');

    // Its role: assumed only by the scheduler for this account's default group; may invoke that one function
    // and drop an undelivered tick in the controller's dead-letter queue, nothing else.
    const [roleId] = s.Target.RoleArn['Fn::GetAtt'] as [string, string];
    const role = control.Resources[roleId].Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toHaveLength(1);
    const trust = role.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(trust.Action).toBe('sts:AssumeRole');
    expect(trust.Condition.StringEquals['aws:SourceAccount']).toBe('123456789012');
    expect(render(trust.Condition.StringEquals['aws:SourceArn'])).toBe(
      'arn:<AWS::Partition>:scheduler:us-east-1:123456789012:schedule-group/default',
    );
    expect(role.ManagedPolicyArns).toBeUndefined();
    const attached = resourcesOfType(control, 'AWS::IAM::Policy').filter(([, p]) =>
      p.Properties.Roles.some((r: Template) => r.Ref === roleId),
    );
    expect(attached).toEqual([]);
    const statements = role.Policies.flatMap((p: Template) => p.PolicyDocument.Statement);
    const ref = (v: Template) => (v['Fn::GetAtt'] ?? [v.Ref])[0];
    expect(
      statements.map((st: Template) => ({
        actions: [st.Action].flat(),
        resources: [st.Resource].flat().map(ref),
        type: control.Resources[ref([st.Resource].flat()[0])].Type,
      })),
    ).toEqual([
      { actions: ['lambda:InvokeFunction'], resources: [fnId], type: 'AWS::Lambda::Function' },
      { actions: ['sqs:SendMessage'], resources: [dlqId], type: 'AWS::SQS::Queue' },
      {
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [expect.any(String)],
        type: 'AWS::KMS::Key',
      },
    ]);
    for (const st of statements) expect(st.Effect).toBe('Allow');
  });

  it('warns at 30 and at 7 days before the CA, each server or client certificate or the CRL expires, saying the fix', () => {
    const certs = resourcesOfType(control, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.MetricName === 'CertDaysLeft');
    expect(certs.map((a) => a.AlarmName).sort()).toEqual(
      ['primary', 'secondary']
        .flatMap((t) =>
          ['ca', 'client', 'crl', 'server'].flatMap((r) => [
            `tunnelops-dc1-${t}-cert-${r}-30d`,
            `tunnelops-dc1-${t}-cert-${r}-7d`,
          ]),
        )
        .sort(),
    );
    const week = certs.find((a) => a.AlarmName === 'tunnelops-dc1-secondary-cert-server-7d')!;
    expect(week).toMatchObject({
      Namespace: 'TunnelOps',
      Statistic: 'Minimum',
      Threshold: 7,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'ignore',
    });
    expect(week.Dimensions).toEqual([
      { Name: 'Role', Value: 'server' },
      { Name: 'Site', Value: 'dc1' },
      { Name: 'Tunnel', Value: 'secondary' },
    ]);
    expect(week.AlarmDescription).toContain('npm run pki -- renew dc1 --tunnel secondary --role server');
    // Slack hears of it once per certificate from the bot (cert-notices), not once per alarm.
    expect(week.AlarmActions).toBeUndefined();
    expect(week.OKActions).toBeUndefined();
  });

  it("alarms on the monitor's high-resolution metrics with periods of at most 10 s, into an encrypted topic", () => {
    const alarms = resourcesOfType(control, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.Namespace === 'TunnelOps' && a.MetricName !== 'CertDaysLeft');
    expect(alarms.length).toBe(4);
    for (const a of alarms) {
      expect(a.Period).toBeLessThanOrEqual(ALARM_PERIOD_SECONDS);
      expect(a.Period).toBeLessThanOrEqual(10);
      expect(a.Namespace).toBe('TunnelOps');
      expect(a.AlarmActions).toHaveLength(1);
      expect(a.OKActions).toHaveLength(1);
    }
    const down = alarms.find((a) => a.AlarmName === 'tunnelops-dc1-primary-down')!;
    expect(down).toMatchObject({
      MetricName: 'TunnelUp',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
    expect(down.Dimensions).toEqual([
      { Name: 'Site', Value: 'dc1' },
      { Name: 'Tunnel', Value: 'primary' },
    ]);
    const [[, topic]] = resourcesOfType(control, 'AWS::SNS::Topic') as [[string, Template]];
    expect(topic.Properties.TopicName).toBe('tunnelops-dc1-alarms');
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const [[, sub]] = resourcesOfType(control, 'AWS::SNS::Subscription') as [[string, Template]];
    expect(sub.Properties.Protocol).toBe('sqs');
    expect(render(sub.Properties.Endpoint)).toMatch(/^<Import:TunnelOps-Shared:ExportsOutput.*AlarmsQueue/);
  });

  it('lets the services that write into encrypted destinations use their keys', () => {
    const principalsOf = (t: Template) =>
      resourcesOfType(t, 'AWS::KMS::Key').map(([, k]) =>
        (k.Properties.KeyPolicy.Statement as Template[]).map((st) => st.Principal?.Service).filter(Boolean),
      );
    // Alarm topic key: CloudWatch publishes; controller DLQ key: EventBridge sends failed events.
    expect(principalsOf(control).flat().sort()).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    // Shared alarm queue key: SNS delivers from the alarm topics; shared alarm topic key: CloudWatch publishes.
    expect(principalsOf(synth.templates['TunnelOps-Shared']!).flat().sort()).toEqual([
      'cloudwatch.amazonaws.com',
      'sns.amazonaws.com',
    ]);
  });

  it('keeps certificates in an SSE-KMS bucket (rotating key) that is private, TLS-only, versioned and logged', () => {
    const base = synth.templates['TunnelOps-dc1']!;
    const buckets = resourcesOfType(base, 'AWS::S3::Bucket').map(([id, b]) => [id, b.Properties] as const);
    const [, certs] = buckets.find(([id]) => id.startsWith('CertsBucket'))!;
    expect(
      certs.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe('aws:kms');
    expect(certs.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(certs.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(certs.LoggingConfiguration.DestinationBucketName).toBeDefined();
    const policies = resourcesOfType(base, 'AWS::S3::BucketPolicy').map(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument),
    );
    expect(policies.every((p) => p.includes('"aws:SecureTransport":"false"'))).toBe(true);
    for (const [, k] of resourcesOfType(base, 'AWS::KMS::Key'))
      expect(k.Properties.EnableKeyRotation).toBe(true);
    const eips = resourcesOfType(base, 'AWS::EC2::EIP');
    expect(eips.map(([, e]) => e.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });
});
