import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../lib/common/repo-root.js';
import { synthesize } from './helpers/synth.js';

const blank = (t: unknown) => JSON.stringify(t).replace(/[0-9a-f]{64}/g, '<hash>');

/** What a topology edit touches decides what a deploy restarts (src/domain/tunnel-risk.ts reads the diff). */
describe('topology edits', () => {
  it("a Slack-only edit (approvers, channel) leaves both tunnel stacks untouched; a CIDR edit changes the servers' task and their boot script's unreachable routes", () => {
    const original = readFileSync(join(REPO_ROOT, 'tunnels.yml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-topology-'));
    const slackOnly = join(dir, 'slack-only.yml');
    writeFileSync(slackOnly, original.replace('UAPPROVER2', 'UAPPROVER3').replace('C0SANDBOX1', 'C0OTHER01'));
    const cidr = join(dir, 'cidr.yml');
    writeFileSync(cidr, original.replace('10.21.0.0/16', '10.22.0.0/16'));

    const base = synthesize().templates;
    const afterSlack = synthesize({ context: { topology: slackOnly } }).templates;
    const afterCidr = synthesize({ context: { topology: cidr } }).templates;
    rmSync(dir, { recursive: true, force: true });
    for (const stack of ['TunnelOps-dc1-primary', 'TunnelOps-dc1-secondary', 'TunnelOps-dc1']) {
      expect(blank(afterSlack[stack])).toEqual(blank(base[stack]));
    }
    for (const stack of ['TunnelOps-dc1-primary', 'TunnelOps-dc1-secondary']) {
      const lt = (t: typeof base) =>
        JSON.stringify(
          Object.values(t[stack]!.Resources).filter(
            (r) => (r as { Type: string }).Type === 'AWS::EC2::LaunchTemplate',
          ),
        );
      const td = (t: typeof base) =>
        JSON.stringify(
          Object.values(t[stack]!.Resources).filter(
            (r) => (r as { Type: string }).Type === 'AWS::ECS::TaskDefinition',
          ),
        );
      // The host's `unreachable` routes cover the new CIDR: a reviewed instance replacement, one tunnel at a time.
      expect(lt(afterCidr)).not.toEqual(lt(base));
      expect(lt(afterCidr)).toContain('unreachable 10.22.0.0/16');
      expect(lt(afterCidr).replace('10.22.0.0/16', '10.21.0.0/16')).toEqual(lt(base));
      expect(td(afterCidr)).not.toEqual(td(base));
    }
    // The new CIDR gets its routes.
    expect(JSON.stringify(afterCidr['TunnelOps-dc1-control'])).toContain('10.22.0.0/16');
  });

  it("a site's server settings set both servers' instance type and volume size; bad ones stop the synth with the fix", () => {
    const original = readFileSync(join(REPO_ROOT, 'tunnels.yml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-topology-'));
    const sized = join(dir, 'sized.yml');
    writeFileSync(
      sized,
      original.replace(
        '    failover:\n',
        '    server: { instanceType: c6i.large, volumeGiB: 40 }\n    failover:\n',
      ),
    );
    const graviton = join(dir, 'graviton.yml');
    writeFileSync(
      graviton,
      original.replace('    failover:\n', '    server: { instanceType: t4g.small }\n    failover:\n'),
    );
    const launchData = (t: Record<string, any>) =>
      Object.values(t.Resources as Record<string, any>).find((r) => r.Type === 'AWS::EC2::LaunchTemplate')
        .Properties.LaunchTemplateData;
    const base = synthesize().templates;
    const after = synthesize({ context: { topology: sized } }).templates;
    expect(() => synthesize({ context: { topology: graviton } })).toThrow(/arm64 \(Graviton\).*x86_64/);
    rmSync(dir, { recursive: true, force: true });
    for (const stack of ['TunnelOps-dc1-primary', 'TunnelOps-dc1-secondary']) {
      expect(launchData(base[stack]!).InstanceType).toBe('t3.small');
      expect(launchData(base[stack]!).BlockDeviceMappings[0].Ebs.VolumeSize).toBe(30);
      expect(launchData(after[stack]!).InstanceType).toBe('c6i.large');
      expect(launchData(after[stack]!).BlockDeviceMappings[0].Ebs.VolumeSize).toBe(40);
    }
  });

  it('routeDestination: prefix-list puts the CIDRs in one prefix list and makes one route to it per table; the default leaves an existing deployment as it was', () => {
    const original = readFileSync(join(REPO_ROOT, 'tunnels.yml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-topology-'));
    const listed = join(dir, 'prefix-list.yml');
    writeFileSync(
      listed,
      original.replace(
        '    routeTableIds: [rtb-0a1b2c3d4e5f60718, rtb-0a1b2c3d4e5f60719]',
        '    routeTableIds: [rtb-0a1b2c3d4e5f60718, rtb-0a1b2c3d4e5f60719]\n    routeDestination: prefix-list',
      ),
    );
    const explicitDefault = join(dir, 'cidrs.yml');
    writeFileSync(
      explicitDefault,
      original.replace(
        '    routeTableIds: [rtb-0a1b2c3d4e5f60718, rtb-0a1b2c3d4e5f60719]',
        '    routeTableIds: [rtb-0a1b2c3d4e5f60718, rtb-0a1b2c3d4e5f60719]\n    routeDestination: cidrs',
      ),
    );
    const base = synthesize().templates;
    const after = synthesize({ context: { topology: listed } }).templates;
    const same = synthesize({ context: { topology: explicitDefault } }).templates;
    rmSync(dir, { recursive: true, force: true });
    // Naming the default changes no site stack (no server restarted, no route touched); the bot gets the file's
    // text as it is, as with any edit.
    const siteStacks = Object.keys(base).filter((s) => s !== 'TunnelOps-Shared');
    expect(siteStacks.length).toBeGreaterThanOrEqual(4);
    for (const stack of siteStacks) expect(blank(same[stack]) === blank(base[stack])).toBe(true);

    const control = after['TunnelOps-dc1-control']!;
    const of = (type: string): Array<Record<string, any>> =>
      Object.entries(control.Resources as Record<string, { Type: string; Properties: Record<string, any> }>)
        .filter(([, r]) => r.Type === type)
        .map(([id, r]) => ({ id, ...r.Properties }));
    const lists = of('AWS::EC2::PrefixList');
    expect(lists).toHaveLength(1);
    expect(lists[0]).toMatchObject({
      PrefixListName: 'tunnelops-dc1-on-prem',
      AddressFamily: 'IPv4',
      MaxEntries: 2,
      Entries: [
        { Cidr: '10.20.0.0/16', Description: 'on-prem of dc1' },
        { Cidr: '10.21.0.0/16', Description: 'on-prem of dc1' },
      ],
    });
    const routes = of('AWS::EC2::Route');
    expect(routes.map((r) => r.RouteTableId).sort()).toEqual([
      'rtb-0a1b2c3d4e5f60718',
      'rtb-0a1b2c3d4e5f60719',
    ]);
    for (const r of routes) {
      expect(r.DestinationPrefixListId).toEqual({ 'Fn::GetAtt': [lists[0]!.id, 'PrefixListId'] });
      expect(r.DestinationCidrBlock).toBeUndefined();
    }
  });
});
