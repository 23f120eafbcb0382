import { describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import type { AlarmEvent } from '../../../src/domain/alarm-event.js';
import { mapAlarm } from '../../../src/domain/alarm-mapping.js';

const site = (name: string, cluster: string) => `
  - name: ${name}
    region: us-east-1
    onPremCidrs: [10.20.0.0/16]
    routeTableIds: [rtb-0a1b2c3d4e5f60718]
    probeTargets: [{ kind: icmp, host: 10.20.0.10 }]
    tunnels:
      - { name: primary, ecs: { cluster: ${cluster}, service: ${name}-primary }, instance: { instanceId: i-0abc12345def67890 } }
      - { name: secondary, ecs: { cluster: ${cluster}, service: ${name}-secondary }, instance: { instanceId: i-0abc12345def67891 } }
    approvers: { users: [UAPPROVER1] }
    slackChannel: C0SANDBOX1`;
const topology = parseTopology(
  `sites:${site('dc1', 'tunnelops-dc1')}${site('dc1-east', 'tunnelops-east')}`,
  'test',
);

const event = (over: Partial<AlarmEvent>): AlarmEvent => ({
  id: 'x',
  name: 'x',
  source: 'cloudwatch',
  state: 'ALARM',
  reason: '',
  since: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('mapAlarm', () => {
  it('uses the Site/Tunnel dimensions first', () => {
    const e = event({
      name: 'whatever',
      metric: { namespace: 'TunnelOps', name: 'TunnelUp', dimensions: { Site: 'dc1', Tunnel: 'secondary' } },
    });
    expect(mapAlarm(topology, e)).toEqual({ site: 'dc1', tunnel: 'secondary', via: 'dimensions' });
  });

  it('maps the alarm name prefix, preferring the longest site name (site names may contain dashes)', () => {
    expect(mapAlarm(topology, event({ name: 'tunnelops-dc1-primary-down' }))).toEqual({
      site: 'dc1',
      tunnel: 'primary',
      via: 'name',
    });
    expect(mapAlarm(topology, event({ name: 'tunnelops-dc1-east-secondary-loss' }))).toEqual({
      site: 'dc1-east',
      tunnel: 'secondary',
      via: 'name',
    });
    expect(mapAlarm(topology, event({ name: 'tunnelops-dc1-east-routes' }))).toEqual({
      site: 'dc1-east',
      via: 'name',
    });
  });

  it('maps ECS tasks and AWS/ECS metrics by cluster and service', () => {
    const ecs = event({
      source: 'ecs',
      ecs: { cluster: 'tunnelops-east', service: 'dc1-east-primary', lastStatus: 'STOPPED' },
    });
    expect(mapAlarm(topology, ecs)).toEqual({ site: 'dc1-east', tunnel: 'primary', via: 'ecs' });
    const metric = event({
      name: 'cpu',
      metric: {
        namespace: 'AWS/ECS',
        name: 'CPUUtilization',
        dimensions: { ClusterName: 'tunnelops-dc1', ServiceName: 'dc1-secondary' },
      },
    });
    expect(mapAlarm(topology, metric)).toEqual({ site: 'dc1', tunnel: 'secondary', via: 'ecs' });
  });

  it('returns null for alarms it cannot place', () => {
    expect(mapAlarm(topology, event({ name: 'ServerCpuTooHigh' }))).toBeNull();
    expect(mapAlarm(topology, event({ name: 'tunnelops-dc9-primary-down' }))).toBeNull();
    expect(
      mapAlarm(topology, event({ metric: { namespace: 'T', name: 'U', dimensions: { Site: 'nope' } } })),
    ).toBeNull();
  });
});
