import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { parseTopology } from '../../src/config/load-topology.js';
import { ConfigError } from '../../src/domain/errors.js';
import { readInfraContext } from '../lib/config/infra-context.js';
import { placeSite } from '../lib/config/resolve-site.js';
import { botEnvironment, controllerEnvironment } from '../lib/config/typed-env.js';
import { exampleContext } from './helpers/synth.js';

const contextOf = (overrides: Record<string, unknown>) =>
  readInfraContext(new App({ context: { ...exampleContext(), ...overrides } }).node);
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

const exampleSite = () =>
  parseTopology(`
sites:
  - name: dc9
    region: us-east-1
    onPremCidrs: [10.9.0.0/16]
    routeTableIds: [rtb-0123456789abcdef0]
    probeTargets: [{ kind: icmp, host: 10.9.0.1 }]
    tunnels:
      - { name: a, ecs: { cluster: c, service: a }, instance: { tag: { key: t, value: a } }, onPremPublicIp: 198.51.100.1 }
      - { name: b, ecs: { cluster: c, service: b }, instance: { tag: { key: t, value: b } }, onPremPublicIp: 198.51.100.2 }
    approvers: { users: [U1] }
    slackChannel: C1
`).sites[0]!;

describe('CDK context', () => {
  it('accepts the example in cdk.json, and lists given as comma-separated strings (-c key=a,b)', () => {
    expect(contextOf({}).availabilityZones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(contextOf({ deployEnvironments: 'prod, dr' }).deployEnvironments).toEqual(['prod', 'dr']);
  });

  it('names every bad key and how to fix it', () => {
    const message = errorOf(() => contextOf({ account: '12', vpcId: undefined }));
    expect(message).toContain('account: set -c account=<12-digit AWS account id>');
    expect(message).toContain('vpcId: set -c vpcId=<the VPC of the route tables in tunnels.yml>');
    expect(errorOf(() => contextOf({ publicSubnetIds: 'subnet-0a1b2c3d4e5f60701' }))).toContain(
      'publicSubnetIds: give one subnet per availability zone (2), in the same order',
    );
  });
});

describe('placing a site', () => {
  it('defaults the two tunnels to the first two AZs and their public subnets', () => {
    const placed = placeSite(exampleSite(), contextOf({}));
    expect(placed.tunnels.map((t) => [t.role, t.availabilityZone, t.publicSubnetId])).toEqual([
      ['primary', 'us-east-1a', 'subnet-0a1b2c3d4e5f60701'],
      ['secondary', 'us-east-1b', 'subnet-0a1b2c3d4e5f60702'],
    ]);
  });

  it('alternates the primaries between the first two AZs with primaryPlacement=alternate', () => {
    const site = exampleSite();
    const bare = {
      ...site,
      tunnels: site.tunnels.map(({ availabilityZone: _, ...t }) => t) as typeof site.tunnels,
    };
    const ctx = contextOf({ primaryPlacement: 'alternate' });
    const azs = (i: number) => placeSite(bare, ctx, i).tunnels.map((t) => [t.role, t.availabilityZone]);
    expect(azs(0)).toEqual([
      ['primary', 'us-east-1a'],
      ['secondary', 'us-east-1b'],
    ]);
    expect(azs(1)).toEqual([
      ['primary', 'us-east-1b'],
      ['secondary', 'us-east-1a'],
    ]);
    // The default keeps every primary in the first AZ; an AZ the topology names always wins.
    expect(placeSite(bare, contextOf({}), 1).tunnels[0].availabilityZone).toBe('us-east-1a');
    expect(errorOf(() => contextOf({ primaryPlacement: 'random' }))).toContain(
      'set -c primaryPlacement=first or alternate',
    );
  });

  it('refuses two tunnels in one AZ, a site in another region, and a tunnel without an on-prem IP', () => {
    const site = exampleSite();
    const sameAz = {
      ...site,
      tunnels: site.tunnels.map((t) => ({ ...t, availabilityZone: 'us-east-1b' })) as typeof site.tunnels,
    };
    expect(errorOf(() => placeSite(sameAz, contextOf({})))).toContain(
      'both tunnels are in us-east-1b; put them in different availability zones',
    );
    expect(errorOf(() => placeSite({ ...site, region: 'eu-west-1' }, contextOf({})))).toContain(
      'deploy one app per region',
    );
    const noIp = {
      ...site,
      tunnels: [{ ...site.tunnels[0]!, onPremPublicIp: undefined }, site.tunnels[1]!] as typeof site.tunnels,
    };
    expect(errorOf(() => placeSite(noIp, contextOf({})))).toContain('set onPremPublicIp');
  });
});

describe('typed process environments', () => {
  const bot = {
    PORT: '3000',
    HOST: '0.0.0.0',
    LOG_LEVEL: 'info',
    AWS_REGION: 'us-east-1',
    TUNNELOPS_TOPOLOGY: '/app/tunnels.yml',
    TUNNELOPS_DATA_DIR: '/tmp',
    TUNNELOPS_STORE: 'dynamodb:t',
    TUNNELOPS_SNS_TOPIC_ARNS: 'arn:aws:sns:us-east-1:1:t',
    TUNNELOPS_ALARM_QUEUE_URL: 'https://sqs',
  };

  it("checks values with the app's own schema at synth time", () => {
    expect(botEnvironment(bot)).toEqual(bot);
    expect(errorOf(() => botEnvironment({ ...bot, LOG_LEVEL: 'loud' }))).toContain('LOG_LEVEL');
    expect(errorOf(() => botEnvironment({ ...bot, PORT: 'http' }))).toContain('PORT');
  });

  it('makes a missing, misspelled or Lambda-reserved variable a compile error', () => {
    const { TUNNELOPS_STORE: _omitted, ...missing } = bot;
    // @ts-expect-error TUNNELOPS_STORE is required for the bot
    expect(() => botEnvironment(missing)).not.toThrow();
    // @ts-expect-error not a variable of the env schema
    botEnvironment({ ...bot, TUNNELOPS_STOR: 'x' });
    const controller = {
      LOG_LEVEL: 'info',
      TUNNELOPS_TOPOLOGY: 't',
      TUNNELOPS_STORE: 'dynamodb:t',
      TUNNELOPS_DATA_DIR: '/tmp',
      TUNNELOPS_SITE: 'dc1',
    };
    expect(Object.keys(controllerEnvironment(controller))).toHaveLength(5);
    // @ts-expect-error Lambda sets AWS_REGION itself and rejects it
    controllerEnvironment({ ...controller, AWS_REGION: 'us-east-1' });
    // @ts-expect-error a secret in a function's environment is readable with lambda:GetFunctionConfiguration
    controllerEnvironment({ ...controller, SLACK_BOT_TOKEN: 'xoxb-1' });
  });
});
