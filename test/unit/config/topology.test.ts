import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { parseTopology } from '../../../src/config/load-topology.js';
import { ConfigError } from '../../../src/domain/errors.js';

const demo = readFileSync('tunnels.yml', 'utf8');

function mutate(change: (doc: any) => void): string {
  const doc = parse(demo);
  change(doc);
  return stringify(doc);
}

function errorOf(text: string): string {
  try {
    parseTopology(text, 'tunnels.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the topology to be rejected');
}

describe('topology file', () => {
  it('parses the demo topology with defaults filled in', () => {
    const t = parseTopology(demo);
    const site = t.sites[0]!;
    expect(site.name).toBe('dc1');
    expect(site.tunnels.map((x) => x.name)).toEqual(['primary', 'secondary']);
    expect(site.failover.mode).toBe('propose');
    expect(site.approvers.users).toEqual(['UAPPROVER1', 'UAPPROVER2']);
  });

  it('fills failover defaults when the block is absent', () => {
    const t = parseTopology(mutate((d) => delete d.sites[0].failover));
    expect(t.sites[0]!.failover).toMatchObject({
      mode: 'propose',
      probeIntervalSeconds: 1,
      fall: 3,
      rise: 5,
    });
  });

  it('names the path of a bad CIDR and what was expected', () => {
    const msg = errorOf(mutate((d) => (d.sites[0].onPremCidrs[1] = '10.21.0.0')));
    expect(msg).toContain('sites[0].onPremCidrs[1]');
    expect(msg).toContain('IPv4 CIDR');
  });

  it('requires exactly two tunnels', () => {
    const msg = errorOf(mutate((d) => d.sites[0].tunnels.pop()));
    expect(msg).toContain('sites[0].tunnels');
    expect(msg).toContain('exactly two tunnels');
  });

  it('rejects an unknown failover mode and unknown keys', () => {
    expect(errorOf(mutate((d) => (d.sites[0].failover.mode = 'yolo')))).toContain('sites[0].failover.mode');
    expect(errorOf(mutate((d) => (d.sites[0].routeTable = 'rtb-1')))).toContain('routeTable');
  });

  it('rejects duplicate site and tunnel names and a site without approvers', () => {
    expect(errorOf(mutate((d) => d.sites.push(structuredClone(d.sites[0]))))).toContain(
      'duplicate site name "dc1"',
    );
    expect(errorOf(mutate((d) => (d.sites[0].tunnels[1].name = 'primary')))).toContain('different names');
    expect(errorOf(mutate((d) => (d.sites[0].approvers = { users: [], userGroups: [] })))).toContain(
      'at least one approver',
    );
  });

  it('says when the file is not YAML', () => {
    expect(errorOf('sites: [')).toContain('not valid YAML');
  });
});
