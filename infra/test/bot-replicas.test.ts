import { beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/domain/errors.js';
import { exampleContext, resourcesOfType, synthesize, type Template } from './helpers/synth.js';

/** The bot's ECS service in the Shared stack, as synthesized. */
function botService(templates: Record<string, Template>): Template {
  const services = resourcesOfType(templates['TunnelOps-Shared']!, 'AWS::ECS::Service');
  expect(services).toHaveLength(1);
  return services[0]![1].Properties;
}

/** AZ of each subnet id, as the context pairs them (privateSubnetIds[i] is in availabilityZones[i]). */
function azOfSubnet(context: Record<string, unknown>): Map<string, string> {
  const azs = context.availabilityZones as string[];
  const ids = [...(context.publicSubnetIds as string[]), ...(context.privateSubnetIds as string[])];
  return new Map(ids.map((id, i) => [id, azs[i % azs.length]!]));
}

describe('the bot survives an AZ outage: replicas in two AZs', () => {
  let service: Template;
  beforeAll(() => {
    service = botService(synthesize().templates);
  });

  it('runs two tasks by default, in the private subnets of two different AZs', () => {
    expect(service.DesiredCount).toBe(2);
    const subnets = service.NetworkConfiguration.AwsvpcConfiguration.Subnets as string[];
    const context = exampleContext();
    expect([...subnets].sort()).toEqual([...(context.privateSubnetIds as string[])].sort());
    const azs = new Set(subnets.map((s) => azOfSubnet(context).get(s)));
    expect(azs.size).toBe(2);
    expect(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    // ECS moves a task back into a recovered AZ (an explicit ENABLED: for an existing service that never
    // set it, ECS treats "unset" as DISABLED).
    expect(service.AvailabilityZoneRebalancing).toBe('ENABLED');
  });

  it('keeps every replica serving through a deploy: new tasks start before old ones stop', () => {
    const { MinimumHealthyPercent, MaximumPercent, DeploymentCircuitBreaker } =
      service.DeploymentConfiguration;
    // At least one replica (here: all of them) healthy during a rolling deploy.
    expect(Math.floor((service.DesiredCount * MinimumHealthyPercent) / 100)).toBeGreaterThanOrEqual(1);
    expect(MinimumHealthyPercent).toBe(100);
    expect(MaximumPercent).toBe(200);
    expect(DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
  });

  it('sits behind the load balancer: every replica is a target of the HTTPS listener', () => {
    expect(service.LoadBalancers).toHaveLength(1);
    expect(service.LoadBalancers[0].ContainerPort).toBe(3000);
  });

  it('takes the replica count from -c botReplicas', () => {
    expect(botService(synthesize({ context: { botReplicas: '3' } }).templates).DesiredCount).toBe(3);
  });

  it('refuses to synthesize the bot into one AZ, or with a single replica, saying how to fix it', () => {
    const refusal = (context: Record<string, unknown>): string => {
      try {
        synthesize({ context });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected synth to refuse');
    };
    expect(refusal({ availabilityZones: ['us-east-1a', 'us-east-1a'] })).toMatch(
      /availabilityZones: list at least two different availability zones \(got only us-east-1a\): the bot runs a replica in each/,
    );
    expect(refusal({ privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60711'] })).toContain(
      'privateSubnetIds: list each subnet once',
    );
    expect(refusal({ botReplicas: 1 })).toContain(
      'botReplicas: set -c botReplicas to 2 or more: one replica per AZ is what survives an AZ outage',
    );
  });
});
