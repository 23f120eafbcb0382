import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../src/config/load-topology.js';
import { REPO_ROOT } from '../lib/common/repo-root.js';
import {
  allStatements,
  exampleContext,
  render,
  resourcesOfType,
  type Synthesized,
  synthesize,
  type Template,
} from './helpers/synth.js';

/** Issue 13's review findings 1-8 (and issue 12's infra side), each as what the templates now contain. */
const ctx = exampleContext() as { serverAmiId: string };
const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
const userData = (t: Template) =>
  render(
    resourcesOfType(t, 'AWS::EC2::LaunchTemplate')[0]![1].Properties.LaunchTemplateData.UserData[
      'Fn::Base64'
    ],
  );
const controllerOf = (t: Template) =>
  resourcesOfType(t, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Runtime === 'nodejs24.x')!;

/** tunnels.yml plus a second site dc2, as a file (what a two-site deployment reads). */
function twoSiteTopology(dir: string): string {
  const text = readFileSync(join(REPO_ROOT, 'tunnels.yml'), 'utf8');
  const [dc1] = parseTopology(text).sites;
  const dc2 = {
    ...dc1!,
    name: 'dc2',
    onPremCidrs: ['10.30.0.0/16'],
    routeTableIds: ['rtb-0c0c0c0c0c0c0c0c0'],
    tunnels: dc1!.tunnels.map((t, i) => ({
      ...t,
      ecs: { cluster: 'tunnelops-dc2', service: `dc2-${t.name}` },
      instance: { tag: { key: 'tunnelops:tunnel', value: `dc2-${t.name}` } },
      onPremPublicIp: `203.0.113.${20 + i}`,
    })),
  };
  const file = join(dir, 'two-sites.json');
  writeFileSync(file, JSON.stringify({ sites: [dc1, dc2] }));
  return file;
}

describe('production readiness (issue 13)', () => {
  let synth: Synthesized;
  let shared: Template;
  let primary: Template;
  let secondary: Template;
  let control: Template;
  let base: Template;
  beforeAll(() => {
    synth = synthesize();
    shared = synth.templates['TunnelOps-Shared']!;
    primary = synth.templates['TunnelOps-dc1-primary']!;
    secondary = synth.templates['TunnelOps-dc1-secondary']!;
    control = synth.templates['TunnelOps-dc1-control']!;
    base = synth.templates['TunnelOps-dc1']!;
  });

  describe('1: GitHub OIDC provider', () => {
    it('creates the provider when githubOidcProviderArn is unset', () => {
      const providers = resourcesOfType(shared, 'AWS::IAM::OIDCProvider');
      expect(providers.map(([, p]) => p.Properties.Url)).toEqual([
        'https://token.actions.githubusercontent.com',
      ]);
    });

    it('imports the existing provider from githubOidcProviderArn: none created, every role trusts that ARN', () => {
      const imported = synthesize({ context: { githubOidcProviderArn: PROVIDER } }).templates[
        'TunnelOps-Shared'
      ]!;
      expect(resourcesOfType(imported, 'AWS::IAM::OIDCProvider')).toEqual([]);
      const trusts = allStatements({ shared: imported }).filter((s) =>
        s.actions.includes('sts:AssumeRoleWithWebIdentity'),
      );
      expect(trusts.length).toBe(3);
      for (const s of trusts) expect(s.principal).toEqual({ Federated: PROVIDER });
    });

    it('rejects a githubOidcProviderArn for another issuer with the fix', () => {
      expect(() =>
        synthesize({
          context: { githubOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/example.com' },
        }),
      ).toThrow(
        /githubOidcProviderArn=arn:aws:iam::<account>:oidc-provider\/token.actions.githubusercontent.com/,
      );
    });
  });

  describe('2: the Slack token stays in Secrets Manager', () => {
    it('gives the controller no token and no read of the secret: it reports through the outbox, as the hosts do', () => {
      const [id, fn] = controllerOf(control);
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(env.SLACK_BOT_TOKEN).toBeUndefined();
      expect(JSON.stringify(env)).not.toMatch(/secretsmanager|Slack/i);
      // No dynamic reference resolved into any function's environment, in any stack.
      for (const t of Object.values(synth.templates))
        for (const [, f] of resourcesOfType(t, 'AWS::Lambda::Function'))
          expect(JSON.stringify(f.Properties.Environment ?? {})).not.toMatch(/resolve:secretsmanager/);
      const reads = allStatements({ control }).filter((s) =>
        s.actions.some((a) => a.startsWith('secretsmanager:')),
      );
      expect(reads).toEqual([]);
      expect(render(fn.Properties.Role)).toMatch(/ServiceRole/);
      expect(id).toMatch(/^ControllerFunction/);
      // Deployed control stacks still import the secret's ARN until they update: the Shared stack keeps the export.
      expect(JSON.stringify(shared.Outputs ?? {})).toMatch(/ExportsOutputRefSecretsSlack/);
    });
  });

  describe('3: one deploy role per environment', () => {
    it('creates tunnelops-github-deploy-<env> for each environment, each trusting only its own', () => {
      const roles = resourcesOfType(shared, 'AWS::IAM::Role')
        .map(([, r]) => r.Properties)
        .filter((r) => String(r.RoleName).startsWith('tunnelops-github-deploy'));
      expect(roles.map((r) => r.RoleName).sort()).toEqual([
        'tunnelops-github-deploy-prod',
        'tunnelops-github-deploy-staging',
      ]);
      for (const r of roles) {
        const env = String(r.RoleName).replace('tunnelops-github-deploy-', '');
        const [st] = r.AssumeRolePolicyDocument.Statement as Template[];
        expect(st!.Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
          `repo:example-org/tunnelops:environment:${env}`,
        ]);
      }
      expect(
        Object.keys(shared.Outputs)
          .filter((o) => o.startsWith('DeployRoleArn'))
          .sort(),
      ).toEqual(['DeployRoleArnprod', 'DeployRoleArnstaging']);
    });
  });

  describe('4 (and two sites): each controller sees and may touch only its own site', () => {
    let two: Synthesized;
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tunnelops-two-sites-'));
      two = synthesize({ context: { topology: twoSiteTopology(dir) }, keepOutdir: true });
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      if (two.outdir) rmSync(two.outdir, { recursive: true, force: true });
    });

    it.each(['dc1', 'dc2'])(
      '%s: TUNNELOPS_SITE, a bundle with its own site only, IAM on its own resources',
      (site) => {
        const other = site === 'dc1' ? 'dc2' : 'dc1';
        const t = two.templates[`TunnelOps-${site}-control`]!;
        const [, fn] = controllerOf(t);
        expect(fn.Properties.Environment.Variables.TUNNELOPS_SITE).toBe(site);
        // The bundled topology (asset.<hash>/tunnels.yml) holds this site alone.
        const asset = readdirSync(two.outdir!).find(
          (d) => d === `asset.${fn.Properties.Code.S3Key.replace('.zip', '')}`,
        );
        expect(asset).toBeDefined();
        const bundled = parseTopology(readFileSync(join(two.outdir!, asset!, 'tunnels.yml'), 'utf8'));
        expect(bundled.sites.map((s) => s.name)).toEqual([site]);
        const statements = allStatements({ t });
        const text = JSON.stringify(statements);
        expect(text).toContain(`tunnelops-${site}-primary`);
        expect(text).not.toContain(`tunnelops-${other}-`);
        const routes = statements.find((s) => s.actions.includes('ec2:ReplaceRoute'))!;
        const own = two.stacks.topology.sites.find((s) => s.name === site)!.routeTableIds;
        expect(routes.resources.map((r) => r.split('/').at(-1)).sort()).toEqual([...own].sort());
        const rules = resourcesOfType(t, 'AWS::Events::Rule').map(([, r]) => JSON.stringify(r.Properties));
        expect(rules.join()).not.toContain(other);
      },
    );
  });

  describe('5: a tunnel deploy keeps the other tunnel carrying traffic', () => {
    it('pins the server AMI from context: a new AMI changes the launch templates, nothing else resolves it', () => {
      for (const t of [primary, secondary]) {
        const [, lt] = resourcesOfType(t, 'AWS::EC2::LaunchTemplate')[0]!;
        expect(lt.Properties.LaunchTemplateData.ImageId).toBe(ctx.serverAmiId);
        expect(JSON.stringify(t.Parameters ?? {})).not.toMatch(/ecs\/optimized-ami/);
      }
      const next = synthesize({ context: { serverAmiId: 'ami-0ffffffffffffffff' } }).templates;
      expect(
        resourcesOfType(next['TunnelOps-dc1-primary']!, 'AWS::EC2::LaunchTemplate')[0]![1].Properties
          .LaunchTemplateData.ImageId,
      ).toBe('ami-0ffffffffffffffff');
      expect(() => synthesize({ context: { serverAmiId: undefined } })).toThrow(
        /serverAmiId.*\/aws\/service\/ecs\/optimized-ami\/amazon-linux-2023\/recommended\/image_id/,
      );
    });

    it('orders the tunnel stacks (secondary after primary) so any tool updates one tunnel at a time', () => {
      const [site] = synth.stacks.sites;
      const [p, s] = site!.tunnels;
      expect(s!.dependencies.map((d) => d.stackName)).toContain(p!.stackName);
      expect(p!.dependencies.map((d) => d.stackName)).not.toContain(s!.stackName);
    });

    it('replaces an instance only behind a termination hook, and finishes only when the new one serves', () => {
      for (const [tunnel, t] of [
        ['primary', primary],
        ['secondary', secondary],
      ] as const) {
        const [asgId, asg] = resourcesOfType(t, 'AWS::AutoScaling::AutoScalingGroup')[0]!;
        expect(asg.Properties.AutoScalingGroupName).toBe(`tunnelops-dc1-${tunnel}`);
        expect(asg.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
          MaxBatchSize: 1,
          WaitOnResourceSignals: true,
        });
        const [[, hook]] = resourcesOfType(t, 'AWS::AutoScaling::LifecycleHook') as [[string, Template]];
        expect(hook.Properties).toMatchObject({
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          DefaultResult: 'CONTINUE',
          HeartbeatTimeout: 120,
          AutoScalingGroupName: { Ref: asgId },
        });
        const script = userData(t);
        // The readiness signal: an existing service must have a healthy openvpn container first.
        expect(script).toContain(
          '--filter label=com.amazonaws.ecs.container-name=openvpn --filter health=healthy',
        );
        expect(script).toContain(`--services dc1-${tunnel}`);
        expect(script).toContain(
          `signal-resource --stack-name TunnelOps-dc1-${tunnel} --logical-resource-id ${asgId}`,
        );
      }
    });
  });

  describe('6 (and issue 12): routes target a tunnel interface that outlives instances', () => {
    it('has one interface per tunnel in the site stack, source/dest check off, tagged for its own instance', () => {
      const enis = resourcesOfType(base, 'AWS::EC2::NetworkInterface').map(([, e]) => e.Properties);
      expect(enis.length).toBe(2);
      for (const [i, e] of enis.entries()) {
        const tunnel = i === 0 ? 'primary' : 'secondary';
        expect(e.SourceDestCheck).toBe(false);
        expect(e.Tags).toEqual(expect.arrayContaining([{ Key: 'tunnelops:tunnel', Value: `dc1-${tunnel}` }]));
      }
    });

    it("gives each server's monitor the other tunnel's interface address to probe, and no Slack token", () => {
      for (const [tunnel, peer, t] of [
        ['primary', 'secondary', primary],
        ['secondary', 'primary', secondary],
      ] as const) {
        const [, task] = resourcesOfType(t, 'AWS::ECS::TaskDefinition')[0]!;
        const env = Object.fromEntries(
          (
            task.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>
          ).map((e) => [e.Name, render(e.Value)]),
        );
        // Peer-host death is told from a partition by probing the peer directly (issue 12's peer detection).
        expect(env.MONITOR_PEER_HOST).toMatch(
          new RegExp(`^<Import:TunnelOps-dc1:ExportsOutputFnGetAttTunnelEni${peer}PrimaryPrivateIpAddress`),
        );
        expect(env.MONITOR_PEER_HOST).not.toMatch(new RegExp(`TunnelEni${tunnel}`));
        // Its own address: where the peer reaches its liveness listener to break a dead fast path's lease.
        expect(env.MONITOR_SELF_HOST).toMatch(
          new RegExp(`^<Import:TunnelOps-dc1:ExportsOutputFnGetAttTunnelEni${tunnel}PrimaryPrivateIpAddress`),
        );
        // No Slack token, not even its ARN (issue 22): its reports reach Slack through the bot.
        expect(env.SLACK_BOT_TOKEN_SECRET_ARN).toBeUndefined();
        expect(env.SLACK_BOT_TOKEN).toBeUndefined();
        const reads = allStatements({ t }).filter((s) => s.actions.includes('secretsmanager:GetSecretValue'));
        expect(reads).toEqual([]);
      }
    });

    it('attaches the interface at boot, waiting while a terminating predecessor holds it', () => {
      for (const [tunnel, t] of [
        ['primary', primary],
        ['secondary', secondary],
      ] as const) {
        const script = userData(t);
        expect(script).toMatch(new RegExp(`ENI=<Import:TunnelOps-dc1:ExportsOutputRefTunnelEni${tunnel}`));
        expect(script).toContain(
          'attach-network-interface --network-interface-id "$ENI" --instance-id "$INSTANCE_ID" --device-index 1',
        );
        expect(script).toContain('[ "$status" = available ]');
        const attach = allStatements({ t }).find((s) => s.actions.includes('ec2:AttachNetworkInterface'))!;
        expect(attach.resources[0]).toMatch(
          /network-interface\/<Import:TunnelOps-dc1:ExportsOutputRefTunnelEni/,
        );
        expect(attach.condition).toEqual({
          StringEquals: { 'ec2:ResourceTag/tunnelops:tunnel': `dc1-${tunnel}` },
        });
      }
    });

    it('adding a CIDR later adds only its routes, to the interface; existing routes keep their properties', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tunnelops-cidr-'));
      const file = join(dir, 'more.yml');
      writeFileSync(
        file,
        readFileSync(join(REPO_ROOT, 'tunnels.yml'), 'utf8').replace(
          'onPremCidrs: [10.20.0.0/16, 10.21.0.0/16]',
          'onPremCidrs: [10.20.0.0/16, 10.21.0.0/16, 10.22.0.0/16]',
        ),
      );
      const after = synthesize({ context: { topology: file } }).templates['TunnelOps-dc1-control']!;
      rmSync(dir, { recursive: true, force: true });
      const routes = (t: Template) => Object.fromEntries(resourcesOfType(t, 'AWS::EC2::Route'));
      const [before, now] = [routes(control), routes(after)];
      for (const [id, r] of Object.entries(before)) expect(now[id]).toEqual(r);
      const added = Object.keys(now).filter((id) => !(id in before));
      expect(added.length).toBe(2);
      for (const id of added) {
        expect(now[id]!.Properties.DestinationCidrBlock).toBe('10.22.0.0/16');
        expect(now[id]!.Properties.NetworkInterfaceId).toEqual(
          Object.values(before)[0]!.Properties.NetworkInterfaceId,
        );
      }
      expect(resourcesOfType(after, 'Custom::AWS')).toEqual([]);
    });

    it("sends the site's ASG termination lifecycle actions to its controller, which may complete only those", () => {
      const rule = resourcesOfType(control, 'AWS::Events::Rule')
        .map(([, r]) => r.Properties)
        .find((r) => r.EventPattern?.source?.[0] === 'aws.autoscaling')!;
      expect(rule.EventPattern).toEqual({
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: ['tunnelops-dc1-primary', 'tunnelops-dc1-secondary'] },
      });
      const [fnId] = controllerOf(control);
      expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
      const complete = allStatements({ control }).find((s) =>
        s.actions.includes('autoscaling:CompleteLifecycleAction'),
      )!;
      expect(complete.resources.sort()).toEqual(
        ['primary', 'secondary'].map(
          (t) =>
            `arn:<AWS::Partition>:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/tunnelops-dc1-${t}`,
        ),
      );
      // The controller and the monitors' fast path both use the state table.
      for (const t of [control, primary, secondary])
        expect(allStatements({ t }).some((s) => s.actions.includes('dynamodb:UpdateItem'))).toBe(true);
    });
  });

  describe('7: alarms that do not depend on the bot', () => {
    const alarmsOf = (t: Template): Record<string, Template> =>
      Object.fromEntries(
        resourcesOfType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]),
      );

    it("alarms on the controller's errors, throttles and dead letters, into the site's alarm topic", () => {
      const alarms = alarmsOf(control);
      const [topicId] = resourcesOfType(control, 'AWS::SNS::Topic')[0]!;
      const [fnId] = controllerOf(control);
      expect(alarms['tunnelops-dc1-controller-errors']).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
      expect(alarms['tunnelops-dc1-controller-throttles']).toMatchObject({
        MetricName: 'Throttles',
        Threshold: 1,
      });
      expect(alarms['tunnelops-dc1-controller-dead-letters']).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
      });
      for (const name of ['errors', 'throttles', 'dead-letters'])
        expect(alarms[`tunnelops-dc1-controller-${name}`]!.AlarmActions).toEqual([{ Ref: topicId }]);
    });

    it('gives the controller an on-failure destination: its dead-letter queue', () => {
      const [[, invoke]] = resourcesOfType(control, 'AWS::Lambda::EventInvokeConfig') as [[string, Template]];
      const [dlqId] = resourcesOfType(control, 'AWS::SQS::Queue')[0]!;
      expect(invoke.Properties.DestinationConfig.OnFailure.Destination).toEqual({
        'Fn::GetAtt': [dlqId, 'Arn'],
      });
      expect(invoke.Properties.MaximumRetryAttempts).toBe(2);
    });

    it("alarms on the bot (unhealthy targets, no running task) and the alarm queue's dead letters", () => {
      const alarms = alarmsOf(shared);
      expect(alarms['tunnelops-bot-unhealthy-targets']).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'UnHealthyHostCount',
      });
      expect(alarms['tunnelops-bot-no-running-task']).toMatchObject({
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'RunningTaskCount',
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      expect(alarms['tunnelops-bot-alarm-dead-letters']).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
      });
      const [[topicId, topic]] = resourcesOfType(shared, 'AWS::SNS::Topic') as [[string, Template]];
      expect(topic.Properties.TopicName).toBe('tunnelops-shared-alarms');
      for (const a of Object.values(alarms)) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
    });

    it('subscribes alarmEmail to every alarm topic when set', () => {
      const t = synthesize({ context: { alarmEmail: 'oncall@example.com' } }).templates;
      for (const name of ['TunnelOps-Shared', 'TunnelOps-dc1-control']) {
        const subs = resourcesOfType(t[name]!, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
        expect(subs.filter((s) => s.Protocol === 'email').map((s) => s.Endpoint)).toEqual([
          'oncall@example.com',
        ]);
      }
      expect(
        resourcesOfType(shared, 'AWS::SNS::Subscription').some(([, s]) => s.Properties.Protocol === 'email'),
      ).toBe(false);
    });
  });

  describe('8: the smaller findings', () => {
    it('TunnelUp alarms after 3 of 3 ten-second periods, so a normal 10 s publish delay does not fire it', () => {
      for (const tunnel of ['primary', 'secondary']) {
        const down = resourcesOfType(control, 'AWS::CloudWatch::Alarm')
          .map(([, a]) => a.Properties)
          .find((a) => a.AlarmName === `tunnelops-dc1-${tunnel}-down`)!;
        expect(down).toMatchObject({
          Period: 10,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          TreatMissingData: 'breaching',
        });
      }
    });

    it('boots with unreachable on-prem routes, IMDS for root only, retries, no unconditional dnf, shipped logs', () => {
      for (const [tunnel, t] of [
        ['primary', primary],
        ['secondary', secondary],
      ] as const) {
        const script = userData(t);
        for (const cidr of ['10.20.0.0/16', '10.21.0.0/16'])
          expect(script).toContain(`ip route replace unreachable ${cidr} metric 4096`);
        expect(script).toContain('-d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT');
        expect(script).toContain('systemctl enable --now tunnelops-host-net.service');
        expect(script).toMatch(/^retry\(\) \{/m);
        expect(script).toContain('retry aws ec2 associate-address');
        for (const line of script.split('\n').filter((l) => l.includes('dnf install')))
          expect(line).toMatch(/^command -v (aws|openssl) >\/dev\/null \|\| retry dnf install/);
        expect(script).toContain(`--log-group-name /tunnelops/dc1/${tunnel}/boot`);
        expect(script).toContain('trap on_exit EXIT');
        // The CRL is kept current by the host (issue 20): polled from the server's own prefix, no restart.
        expect(script).toContain(`-- aws s3 cp --only-show-errors s3://`);
        expect(script).toMatch(new RegExp(`/dc1/${tunnel}/crl.pem -\\n`));
        expect(script).toContain('systemctl enable --now tunnelops-crl-refresh.service');
        // A newly published certificate and key are installed for the server's next start (/vpn rotate).
        expect(script).toMatch(
          new RegExp(
            `tunnelops-cert-refresh /etc/tunnelops/pki -- aws s3 cp --only-show-errors s3://.*/dc1/${tunnel}/\\{\\} -\\n`,
          ),
        );
        expect(script).toContain('systemctl enable --now tunnelops-cert-refresh.service');
        // EC2 takes at most 16 KB of user data (before base64); the boot script carries both refreshers.
        expect(Buffer.byteLength(script)).toBeLessThan(16 * 1024 - 1024);
        const groups = resourcesOfType(t, 'AWS::Logs::LogGroup').map(([, g]) => g.Properties.LogGroupName);
        expect(groups).toContain(`/tunnelops/dc1/${tunnel}/boot`);
      }
    });

    it('allows Session Manager on the servers (no SSH port)', () => {
      for (const t of [primary, secondary]) {
        const role = resourcesOfType(t, 'AWS::IAM::Role').find(([id]) => id.startsWith('InstanceRole'))![1];
        expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('AmazonSSMManagedInstanceCore');
        const [, sg] = resourcesOfType(t, 'AWS::EC2::SecurityGroup')[0]!;
        expect(JSON.stringify(sg.Properties.SecurityGroupIngress)).not.toMatch(/"FromPort":22\b/);
      }
    });

    it('protects the stateful stacks from termination, not the replaceable ones', () => {
      const protectedStacks = synth.stacks.all.filter((s) => s.terminationProtection).map((s) => s.stackName);
      expect(protectedStacks.sort()).toEqual(
        ['TunnelOps-Images', 'TunnelOps-Shared', 'TunnelOps-dc1'].sort(),
      );
    });

    it('writes every accepted cfn-lint warning into the resource metadata with its reason', () => {
      const suppressed = Object.values(synth.templates).flatMap((t) =>
        Object.values(t.Resources as Record<string, Template>).filter((r) => r.Metadata?.['cfn-lint']),
      );
      expect(suppressed.length).toBeGreaterThanOrEqual(2);
      for (const r of suppressed) {
        const ids = r.Metadata['cfn-lint'].config.ignore_checks as string[];
        for (const id of ids) {
          expect(id).toMatch(/^W\d{4}$/); // warnings only: no error is ever suppressed
          expect(String(r.Metadata['tunnelops:cfn-lint'][id]).length).toBeGreaterThanOrEqual(40);
        }
      }
      // The ALB listeners carry no Tags (cfn-lint 1.51's schema has none: E3002).
      for (const [, l] of resourcesOfType(shared, 'AWS::ElasticLoadBalancingV2::Listener'))
        expect(l.Properties.Tags).toBeUndefined();
    });
  });
});
