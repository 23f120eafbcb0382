import { beforeAll, describe, expect, it } from '@jest/globals';
import { policyProblems } from './helpers/policy-rules.js';
import { allStatements, type FoundStatement, type Synthesized, synthesize } from './helpers/synth.js';

/** Walks every policy statement of every stack (identity, resource, key and trust policies). */
describe('IAM least privilege across all stacks', () => {
  let synth: Synthesized;
  let statements: FoundStatement[];
  beforeAll(() => {
    synth = synthesize();
    statements = allStatements(synth.templates);
  });

  it('finds the statements it walks (guards against a vacuous pass)', () => {
    expect(statements.length).toBeGreaterThan(40);
    expect(statements.some((s) => s.actions.includes('ec2:ReplaceRoute'))).toBe(true);
  });

  it('has no Action "*" and no mutating EC2/ECS/S3 action on Resource "*"', () => {
    expect(policyProblems(statements)).toEqual([]);
  });

  it('the checker does flag such statements', () => {
    const bad = (actions: string[], resources: string[]): FoundStatement => ({
      stack: 'S',
      resource: 'R',
      Effect: 'Allow',
      actions,
      resources,
    });
    expect(
      policyProblems([
        bad(['*'], ['arn:x']),
        bad(['ec2:ReplaceRoute'], ['*']),
        bad(['s3:*'], ['arn:b']),
        bad(['ecs:UpdateService', 'ec2:DescribeInstances'], ['*']),
      ]),
    ).toEqual([
      'S/R: Action "*"',
      'S/R: ec2:ReplaceRoute on Resource "*"',
      'S/R: Action "s3:*"',
      'S/R: ecs:UpdateService on Resource "*"',
    ]);
    expect(policyProblems([bad(['ec2:DescribeRouteTables'], ['*'])])).toEqual([]);
  });

  it("scopes ec2:ReplaceRoute and ec2:CreateRoute to the topology's route table ARNs only, everywhere granted", () => {
    const site = synth.stacks.topology.sites[0]!;
    const expected = site.routeTableIds
      .map((id) => `arn:<AWS::Partition>:ec2:us-east-1:123456789012:route-table/${id}`)
      .sort();
    const grants = statements.filter(
      (s) =>
        s.Effect === 'Allow' && s.actions.some((a) => a === 'ec2:ReplaceRoute' || a === 'ec2:CreateRoute'),
    );
    // The controller, the monitors' fast path (server task roles), the bot (approved failovers) and the
    // deploy role of each environment (deploy-time failover).
    expect(grants.map((g) => `${g.stack} ${g.resource.replace(/[0-9A-F]{8}$/, '')}`).sort()).toEqual([
      'TunnelOps-Shared BotTaskTaskRoleDefaultPolicy',
      'TunnelOps-Shared GitHubDeployRoleprodDefaultPolicy',
      'TunnelOps-Shared GitHubDeployRolestagingDefaultPolicy',
      'TunnelOps-dc1-control ControllerFunctionServiceRoleDefaultPolicy',
      'TunnelOps-dc1-primary OpenVpnTaskTaskRoleDefaultPolicy',
      'TunnelOps-dc1-secondary OpenVpnTaskTaskRoleDefaultPolicy',
    ]);
    for (const g of grants) {
      expect(g.actions).toEqual(['ec2:ReplaceRoute', 'ec2:CreateRoute']);
      expect([...g.resources].sort()).toEqual(expected);
    }
  });

  it('lets each server read only its own certificate prefix and decrypt only objects under it', () => {
    for (const tunnel of ['primary', 'secondary']) {
      const own = statements.filter(
        (s) => s.stack === `TunnelOps-dc1-${tunnel}` && s.resource.startsWith('InstanceRole'),
      );
      const get = own.find((s) => s.actions.includes('s3:GetObject'))!;
      // ca.crt, server.crt, server.key, tls-crypt.key and crl.pem: nothing else, no wildcard.
      expect(get.resources.length).toBe(5);
      expect(get.resources.some((r) => r.endsWith(`/dc1/${tunnel}/crl.pem`))).toBe(true);
      for (const r of get.resources) expect(r).toMatch(new RegExp(`/dc1/${tunnel}/[a-z.-]+$`));
      const decrypt = own.find((s) => s.actions.includes('kms:Decrypt'))!;
      expect(JSON.stringify(decrypt.condition)).toContain(`/dc1/${tunnel}/*`);
      expect(decrypt.condition?.StringEquals?.['kms:ViaService']).toBe('s3.us-east-1.amazonaws.com');
      const ec2 = own.filter((s) =>
        s.actions.some((a) => a === 'ec2:AssociateAddress' || a === 'ec2:ModifyInstanceAttribute'),
      );
      expect(ec2.length).toBe(2);
      for (const s of ec2)
        expect(s.condition).toEqual({
          StringEquals: { 'ec2:ResourceTag/tunnelops:tunnel': `dc1-${tunnel}` },
        });
    }
  });

  it("trusts GitHub OIDC only for this repository's deploy environments and its default branch", () => {
    const trust = statements.filter((s) => s.actions.includes('sts:AssumeRoleWithWebIdentity'));
    const subjects = trust.map((s) => s.condition?.StringEquals?.['token.actions.githubusercontent.com:sub']);
    // One deploy role per environment, each trusting only its own; the diff role only the default branch.
    expect(subjects.map((s) => JSON.stringify(s)).sort()).toEqual([
      '["repo:example-org/tunnelops:environment:prod"]',
      '["repo:example-org/tunnelops:environment:staging"]',
      '["repo:example-org/tunnelops:ref:refs/heads/main"]',
    ]);
    for (const s of trust) {
      expect(s.condition?.StringEquals?.['token.actions.githubusercontent.com:aud']).toBe(
        'sts.amazonaws.com',
      );
      expect(JSON.stringify(s.condition)).not.toContain('*');
    }
    const diff = statements.filter(
      (s) =>
        s.stack === 'TunnelOps-Shared' &&
        s.resource.startsWith('GitHubDiffRole') &&
        !s.actions.includes('sts:AssumeRoleWithWebIdentity'),
    );
    for (const s of diff)
      for (const a of s.actions) expect(a).toMatch(/^(sts:AssumeRole|cloudformation:(Describe|Get)\w+)$/);
  });

  it('lets each deploy role push images to the two tunnelops repositories only (the deploy workflow builds them)', () => {
    const push = statements.filter((s) => s.actions.includes('ecr:PutImage'));
    expect(push.map((s) => s.resource.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'GitHubDeployRoleprodDefaultPolicy',
      'GitHubDeployRolestagingDefaultPolicy',
    ]);
    for (const s of push)
      expect([...s.resources].sort()).toEqual([
        'arn:<AWS::Partition>:ecr:us-east-1:123456789012:repository/tunnelops/bot',
        'arn:<AWS::Partition>:ecr:us-east-1:123456789012:repository/tunnelops/openvpn-server',
      ]);
    const wildcard = statements.filter(
      (s) =>
        s.resource.startsWith('GitHubDeployRole') &&
        s.resources.includes('*') &&
        s.actions.some((a) => a.startsWith('ecr:')),
    );
    expect(wildcard.length).toBe(2);
    for (const s of wildcard) expect(s.actions).toEqual(['ecr:GetAuthorizationToken']);
  });
});
