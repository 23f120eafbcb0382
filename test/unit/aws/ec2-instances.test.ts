import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { Ec2Instances } from '../../../src/aws/ec2-instances.js';
import { TunnelInstanceResolver } from '../../../src/aws/tunnel-instance-resolver.js';
import { siteSchema } from '../../../src/config/topology-schema.js';
import {
  demoSites,
  type FormBody,
  fakeClients,
  fixture,
  instancesXml,
  makeSite,
  nockEc2,
} from './aws-http.js';

let nowMs = Date.parse('2026-11-25T12:00:00Z');
const clock = { now: () => nowMs };

describe('Ec2Instances.observe', () => {
  it('reports the live instance of each tunnel even when a terminated one carries the same tag', async () => {
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    const instances = new Ec2Instances({
      resolver: new TunnelInstanceResolver({ clients: fakeClients(), clock }),
    });

    const result = await instances.observe(demoSites());

    expect(result.get('dc1/primary')).toEqual({
      ok: true,
      value: { instanceId: 'i-0a1b2c3d4e5f60001', state: 'running' },
    });
    expect(result.get('dc1/secondary')).toEqual({
      ok: true,
      value: { instanceId: 'i-0a1b2c3d4e5f60002', state: 'stopped' },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('says which discovery rule matched nothing, and looks up instance-id tunnels by id', async () => {
    const base = makeSite(4, 'eu-west-1');
    const site = siteSchema.parse({
      ...base,
      tunnels: [
        { ...base.tunnels[0]!, instance: { instanceId: 'i-0123456789abcdef0' } },
        { ...base.tunnels[1]!, instance: { instanceId: 'i-0123456789abcdef1' } },
      ],
    });
    const seen: FormBody[] = [];
    nockEc2(
      'eu-west-1',
      'DescribeInstances',
      200,
      instancesXml([{ id: 'i-0123456789abcdef0', state: 'pending', enis: ['eni-1'] }]),
      seen,
    );
    const instances = new Ec2Instances({
      resolver: new TunnelInstanceResolver({ clients: fakeClients(), clock }),
    });

    const result = await instances.observe([site]);

    expect(seen[0]).toMatchObject({
      'Filter.1.Name': 'instance-id',
      'Filter.1.Value.1': 'i-0123456789abcdef0',
      'Filter.1.Value.2': 'i-0123456789abcdef1',
    });
    expect(result.get('s4/a')).toEqual({
      ok: true,
      value: { instanceId: 'i-0123456789abcdef0', state: 'pending' },
    });
    expect(result.get('s4/b')).toEqual({
      ok: false,
      reason: 'no EC2 instance matches instance i-0123456789abcdef1',
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('asks EC2 again once the short cache has expired', async () => {
    const seen: FormBody[] = [];
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'), seen, 2);
    const instances = new Ec2Instances({
      resolver: new TunnelInstanceResolver({ clients: fakeClients(), clock, ttlMs: 5000 }),
    });

    await instances.observe(demoSites());
    await instances.observe(demoSites());
    nowMs += 6000;
    await instances.observe(demoSites());

    expect(seen).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
