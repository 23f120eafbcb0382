import { describe, expect, it } from '@jest/globals';
import type { Site } from '../../../src/config/topology-schema.js';
import { type CommandRunner, NetnsRouteTables } from '../../../src/local/netns-route-tables.js';
import { RouteExistsError } from '../../../src/ports/route-tables.js';
import { labSite } from '../../lab/lab-plan.js';

const site: Site = labSite();
const [rtbA, rtbB] = site.routeTableIds as [string, string];
const hops = { primary: '10.99.2.10', secondary: '10.99.3.10' };

/** A fake `ip` that keeps routing tables in memory and records every call. */
function fakeIp(tables: Record<string, Array<Record<string, string>>>) {
  const calls: string[][] = [];
  const run: CommandRunner = async (cmd, args) => {
    calls.push([cmd, ...args]);
    const a = [...args];
    if (a.includes('show')) return JSON.stringify(tables[a.at(-1)!] ?? []);
    const verb = a.includes('replace') ? 'replace' : a.includes('add') ? 'add' : null;
    if (verb) {
      const [cidr, , via, , table] = a.slice(a.indexOf(verb) + 1) as [string, string, string, string, string];
      tables[table] ??= [];
      const list = tables[table];
      const i = list.findIndex((r) => r.dst === cidr);
      const route = { dst: cidr, gateway: via, dev: 'srvX', flags: '' } as Record<string, string>;
      if (i >= 0 && verb === 'add') throw new Error('RTNETLINK answers: File exists');
      if (i >= 0) list[i] = route;
      else list.push(route);
      return '';
    }
    throw new Error(`unexpected ${args.join(' ')}`);
  };
  return { run, calls };
}

const adapter = (run: CommandRunner) =>
  new NetnsRouteTables({
    namespace: 'lab-vpc',
    tables: { [rtbA]: 101, [rtbB]: 102 },
    nextHops: { lab: hops },
    run,
  });

describe('NetnsRouteTables', () => {
  it('observes each route table once and maps next hops to tunnels', async () => {
    const ip = fakeIp({
      '101': [
        { dst: '10.20.0.0/16', gateway: hops.primary, dev: 'srv1' },
        { dst: '10.21.0.0/16', gateway: hops.secondary, dev: 'srv2' },
      ],
      '102': [{ type: 'blackhole', dst: '10.20.0.0/16' }],
    });
    const seen = await adapter(ip.run).observe([site, site]);
    const obs = seen.get('lab');
    expect(obs?.ok).toBe(true);
    if (!obs?.ok) return;
    expect(obs.value).toEqual([
      {
        routeTableId: rtbA,
        cidr: '10.20.0.0/16',
        tunnel: 'primary',
        target: hops.primary,
        blackhole: false,
        missing: false,
      },
      {
        routeTableId: rtbA,
        cidr: '10.21.0.0/16',
        tunnel: 'secondary',
        target: hops.secondary,
        blackhole: false,
        missing: false,
      },
      {
        routeTableId: rtbB,
        cidr: '10.20.0.0/16',
        tunnel: null,
        target: 'blackhole',
        blackhole: true,
        missing: false,
      },
      {
        routeTableId: rtbB,
        cidr: '10.21.0.0/16',
        tunnel: null,
        target: null,
        blackhole: false,
        missing: true,
      },
    ]);
    expect(ip.calls).toEqual([
      ['ip', '-n', 'lab-vpc', '-j', 'route', 'show', 'table', '101'],
      ['ip', '-n', 'lab-vpc', '-j', 'route', 'show', 'table', '102'],
    ]);
  });

  it('replaces a route atomically with ip route replace via the tunnel server host', async () => {
    const ip = fakeIp({ '101': [{ dst: '10.20.0.0/16', gateway: hops.primary }] });
    const routes = adapter(ip.run);
    await routes.replace(site, rtbA, '10.20.0.0/16', 'secondary');
    expect(ip.calls).toEqual([
      ['ip', '-n', 'lab-vpc', 'route', 'replace', '10.20.0.0/16', 'via', hops.secondary, 'table', '101'],
    ]);
    const obs = (await routes.observe([site])).get('lab');
    expect(obs?.ok && obs.value[0]?.tunnel).toBe('secondary');
  });

  it('refuses unknown tunnels and unmapped route tables without running anything', async () => {
    const ip = fakeIp({});
    const routes = adapter(ip.run);
    await expect(routes.replace(site, rtbA, '10.20.0.0/16', 'tertiary')).rejects.toThrow(/no next hop/);
    // A table the site does not list is refused like EC2's adapter does; one it lists but the lab did not map
    // to a Linux table says so.
    await expect(routes.replace(site, 'rtb-0123456789abcdef0', '10.20.0.0/16', 'primary')).rejects.toThrow(
      /no route 10\.20\.0\.0\/16 in rtb-0123456789abcdef0 of site lab/,
    );
    const unmapped = { ...site, routeTableIds: [...site.routeTableIds, 'rtb-0123456789abcdef0'] };
    await expect(routes.create(unmapped, 'rtb-0123456789abcdef0', '10.20.0.0/16', 'primary')).rejects.toThrow(
      /not mapped/,
    );
    expect(ip.calls).toEqual([]);
  });

  it('creates a missing route with `ip route add`, and reports one that exists as RouteExistsError', async () => {
    const ip = fakeIp({});
    const routes = adapter(ip.run);
    await routes.create(site, rtbB, '10.21.0.0/16', 'secondary');
    expect(ip.calls).toEqual([
      ['ip', '-n', 'lab-vpc', 'route', 'add', '10.21.0.0/16', 'via', hops.secondary, 'table', '102'],
    ]);
    const obs = (await routes.observe([site])).get('lab');
    expect(
      obs?.ok && obs.value.find((o) => o.routeTableId === rtbB && o.cidr === '10.21.0.0/16'),
    ).toMatchObject({
      tunnel: 'secondary',
      missing: false,
    });
    await expect(routes.create(site, rtbB, '10.21.0.0/16', 'primary')).rejects.toBeInstanceOf(
      RouteExistsError,
    );
  });

  it('reports a failed read as unknown for the site instead of throwing', async () => {
    const failing: CommandRunner = async () => {
      throw new Error('Cannot open network namespace "lab-vpc": No such file or directory');
    };
    const seen = await adapter(failing).observe([site]);
    expect(seen.get('lab')).toEqual({
      ok: false,
      reason: expect.stringContaining('Cannot open network namespace'),
    });
  });

  it('routeDestination: prefix-list: one route per table, moved as all its CIDRs together and seen as one', async () => {
    const listed: Site = { ...site, routeDestination: 'prefix-list' };
    const ip = fakeIp({
      '101': site.onPremCidrs.map((dst) => ({ dst, gateway: hops.primary, dev: 'srv1' })),
      '102': [{ dst: site.onPremCidrs[0]!, gateway: hops.primary, dev: 'srv1' }],
    });
    const routes = adapter(ip.run);
    const before = (await routes.observe([listed])).get('lab');
    expect(before).toEqual({
      ok: true,
      value: [
        expect.objectContaining({ routeTableId: rtbA, cidr: 'tunnelops-lab-on-prem', tunnel: 'primary' }),
        // One CIDR of the list has no route in this table: the list's route is not whole.
        expect.objectContaining({ routeTableId: rtbB, cidr: 'tunnelops-lab-on-prem', missing: true }),
      ],
    });
    await routes.replace(listed, rtbA, 'tunnelops-lab-on-prem', 'secondary');
    expect(ip.calls.filter((c) => c.includes('replace')).map((c) => c[5])).toEqual(site.onPremCidrs);
    const after = (await routes.observe([listed])).get('lab');
    expect(after?.ok && after.value[0]).toMatchObject({ tunnel: 'secondary' });
    await expect(routes.replace(listed, rtbA, site.onPremCidrs[0]!, 'primary')).rejects.toThrow(/no route/);
  });
});
