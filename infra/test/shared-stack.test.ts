import { beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { envSchema } from '../../src/config/env-schema.js';
import { parseTopology } from '../../src/config/load-topology.js';
import { STATE_TABLE_NAME } from '../lib/naming.js';
import { render, resourcesOfType, type Synthesized, synthesize, type Template } from './helpers/synth.js';

describe('shared stack', () => {
  let shared: Template;
  beforeAll(() => {
    const synth: Synthesized = synthesize();
    shared = synth.templates['TunnelOps-Shared']!;
  });

  it('creates the state table the DynamoDB store expects, with PITR, TTL and encryption', () => {
    const [[, table]] = resourcesOfType(shared, 'AWS::DynamoDB::Table') as [[string, Template]];
    const p = table.Properties;
    const expected = DynamoStore.tableDefinition(STATE_TABLE_NAME);
    expect(p.TableName).toBe(expected.TableName);
    expect(p.KeySchema).toEqual(expected.KeySchema);
    expect(p.AttributeDefinitions).toEqual(expect.arrayContaining(expected.AttributeDefinitions ?? []));
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('runs the bot on Fargate with every variable it needs, typed from the env schema, and credentials as secrets', () => {
    const [[, td]] = resourcesOfType(shared, 'AWS::ECS::TaskDefinition') as [[string, Template]];
    expect(td.Properties.RequiresCompatibilities).toEqual(['FARGATE']);
    const [c] = td.Properties.ContainerDefinitions;
    const env = Object.fromEntries(
      (c.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, render(e.Value)]),
    );
    const secrets = (c.Secrets as { Name: string; ValueFrom: unknown }[]).map((s) => s.Name).sort();
    const known = Object.keys(envSchema.shape);
    // TUNNELOPS_TOPOLOGY_TEXT is read by the container's start command, not by the app.
    for (const name of [...Object.keys(env), ...secrets])
      if (name !== 'TUNNELOPS_TOPOLOGY_TEXT') expect(known).toContain(name);
    expect(parseTopology(String(env.TUNNELOPS_TOPOLOGY_TEXT)).sites[0]!.approvers.users).toEqual([
      'UAPPROVER1',
      'UAPPROVER2',
    ]);
    expect(c.Command[0]).toContain('exec node --import tsx app.ts');
    expect(secrets).toEqual([
      'APP_ID',
      'PRIVATE_KEY',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'TUNNELOPS_API_TOKEN',
      'WEBHOOK_SECRET',
    ]);
    for (const s of secrets) expect(Object.keys(env)).not.toContain(s);
    expect(env).toMatchObject({
      PORT: '3000',
      TUNNELOPS_STORE: `dynamodb:${STATE_TABLE_NAME}`,
      TUNNELOPS_TOPOLOGY: '/tmp/tunnelops/tunnels.yml',
      TUNNELOPS_SNS_TOPIC_ARNS: [
        'arn:<AWS::Partition>:sns:us-east-1:123456789012:tunnelops-dc1-alarms',
        'arn:<AWS::Partition>:sns:us-east-1:123456789012:tunnelops-shared-alarms',
      ].join(','),
    });
    expect(env.TUNNELOPS_ALARM_QUEUE_URL).toMatch(/^<AlarmsQueue[0-9A-F]+>$/);
    // The configured environment parses with the app's own schema.
    expect(envSchema.safeParse(env).success).toBe(true);
    expect(c.ReadonlyRootFilesystem).toBe(true);
    expect(c.User).toBe('node');
    expect(render(c.Image)).toContain('/tunnelops/bot:0.1.0');
  });

  it('serves the bot over HTTPS with the context certificate and redirects HTTP', () => {
    const listeners = resourcesOfType(shared, 'AWS::ElasticLoadBalancingV2::Listener').map(
      ([, l]) => l.Properties,
    );
    const https = listeners.find((l) => l.Port === 443)!;
    expect(https.Protocol).toBe('HTTPS');
    expect(https.Certificates).toEqual([
      {
        CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000',
      },
    ]);
    expect(listeners.find((l) => l.Port === 80)?.DefaultActions[0].Type).toBe('redirect');
    const [[, tg]] = resourcesOfType(shared, 'AWS::ElasticLoadBalancingV2::TargetGroup') as [
      [string, Template],
    ];
    expect(tg.Properties.HealthCheckPath).toBe('/healthz');
  });

  it('buffers alarms in an encrypted queue with a DLQ that only the site alarm topics may send to', () => {
    const queues = resourcesOfType(shared, 'AWS::SQS::Queue').map(([id, q]) => [id, q.Properties] as const);
    expect(queues.length).toBe(2);
    for (const [, q] of queues) expect(q.KmsMasterKeyId).toBeDefined();
    const main = queues.find(([, q]) => q.RedrivePolicy)!;
    expect(main[1].RedrivePolicy.maxReceiveCount).toBe(5);
    const policy = resourcesOfType(shared, 'AWS::SQS::QueuePolicy').flatMap(
      ([, p]) => p.Properties.PolicyDocument.Statement,
    );
    const send = policy.find((s: Template) => s.Sid === 'SiteAlarmTopics');
    expect(send.Condition).toEqual({
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':sns:us-east-1:123456789012:tunnelops-*-alarms'],
          ],
        },
      },
    });
  });
});
