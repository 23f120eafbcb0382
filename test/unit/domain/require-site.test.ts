import { describe, expect, it } from '@jest/globals';
import { topologySchema } from '../../../src/config/topology-schema.js';
import { TunnelOpsError } from '../../../src/domain/errors.js';
import { requireSite, requireTunnel } from '../../../src/domain/topology.js';

const topology = topologySchema.parse({
  sites: ['dc1', 'dc2'].map((name, i) => ({
    name,
    region: 'us-east-1',
    onPremCidrs: [`10.${i + 1}.0.0/16`],
    routeTableIds: [`rtb-0000000000000000${i + 1}`],
    probeTargets: [{ kind: 'icmp', host: `10.${i + 1}.0.10` }],
    tunnels: ['primary', 'secondary'].map((t) => ({
      name: t,
      ecs: { cluster: `tunnelops-${name}`, service: `${name}-${t}` },
      instance: { tag: { key: 'tunnelops:tunnel', value: `${name}-${t}` } },
    })),
    approvers: { users: ['UAPPROVER1'] },
    slackChannel: 'C0SANDBOX1',
  })),
});

describe('requireSite: the one "unknown site" error', () => {
  it('returns the named site', () => {
    expect(requireSite(topology, 'dc2').name).toBe('dc2');
  });

  it('names the sites there are, as not_found by default and bad_request for a body field', () => {
    const caught = (code?: 'bad_request') => {
      try {
        requireSite(topology, 'dc9', code);
      } catch (err) {
        return err as TunnelOpsError;
      }
      throw new Error('no error');
    };
    expect(caught()).toBeInstanceOf(TunnelOpsError);
    expect(caught()).toMatchObject({ code: 'not_found', message: 'unknown site "dc9" (sites: dc1, dc2)' });
    expect(caught('bad_request').code).toBe('bad_request');
  });

  it('shows at most 64 characters of what it was given', () => {
    expect(() => requireSite(topology, 'x'.repeat(10_000))).toThrow(
      /^unknown site "x{64}" \(sites: dc1, dc2\)$/,
    );
  });
});

describe('requireTunnel: the one "unknown tunnel" error', () => {
  const dc1 = requireSite(topology, 'dc1');

  it('returns the named tunnel', () => {
    expect(requireTunnel(dc1, 'secondary').name).toBe('secondary');
  });

  it("names the site's tunnels, as not_found by default and bad_request for a body field, bounded", () => {
    expect(() => requireTunnel(dc1, 'tertiary')).toThrow(
      expect.objectContaining({
        code: 'not_found',
        message: 'site dc1 has no tunnel "tertiary" (tunnels: primary, secondary)',
      }),
    );
    expect(() => requireTunnel(dc1, 'tertiary', 'bad_request')).toThrow(
      expect.objectContaining({ code: 'bad_request' }),
    );
    expect(() => requireTunnel(dc1, 'x'.repeat(10_000))).toThrow(
      /^site dc1 has no tunnel "x{64}" \(tunnels: primary, secondary\)$/,
    );
  });
});
