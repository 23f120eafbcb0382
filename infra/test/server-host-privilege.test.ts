import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadTopology } from '../../src/config/load-topology.js';
import { SERVER_STOP_BUDGET } from '../../src/monitor/stop-budget.js';
import { ec2BudgetLeadingKeys, siteStateLeadingKeys } from '../lib/common/operator-policy.js';
import { REPO_ROOT } from '../lib/common/repo-root.js';
import { diffRoleSubject } from '../lib/shared/github-oidc.js';
import {
  allStatements,
  render,
  resourcesOfType,
  type Synthesized,
  synthesize,
  type Template,
} from './helpers/synth.js';

/** Issue 22 items 4, 12 and 14: what the internet-facing server host and the pull-request role may do. */
const serverContainer = (t: Template) => {
  const [, task] = resourcesOfType(t, 'AWS::ECS::TaskDefinition')[0]!;
  const c = task.Properties.ContainerDefinitions[0] as Template;
  const env = Object.fromEntries(
    (c.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, render(e.Value)]),
  );
  return { task, container: c, env };
};
/** `NAME=${NAME:-<default>}` in the entrypoint. */
const entrypointDefault = (name: string): number => {
  const text = readFileSync(join(REPO_ROOT, 'images/openvpn-server/entrypoint.sh'), 'utf8');
  const m = new RegExp(`^${name}=\\$\\{${name}:-(\\d+)\\}$`, 'm').exec(text);
  if (!m) throw new Error(`entrypoint.sh has no default for ${name}`);
  return Number(m[1]);
};

describe('the server host (issue 22)', () => {
  let synth: Synthesized;
  let tunnels: Template[];
  beforeAll(() => {
    synth = synthesize();
    tunnels = ['TunnelOps-dc1-primary', 'TunnelOps-dc1-secondary'].map((n) => synth.templates[n]!);
  });

  describe('12: the goodbye fits the ECS stopTimeout', () => {
    it('gives the container a stopTimeout covering the monitor goodbye, openvpn and a margin', () => {
      for (const t of tunnels) {
        const { container, env } = serverContainer(t);
        expect(Number(env.MONITOR_STOP_SECONDS)).toBe(SERVER_STOP_BUDGET.monitorSeconds);
        expect(Number(env.OPENVPN_STOP_SECONDS)).toBe(SERVER_STOP_BUDGET.openvpnSeconds);
        // What the entrypoint waits at most before its own cleanup, plus room for that cleanup.
        expect(container.StopTimeout).toBeGreaterThanOrEqual(
          Number(env.MONITOR_STOP_SECONDS) + Number(env.OPENVPN_STOP_SECONDS) + 2,
        );
        // ECS on EC2 allows at most 120 s.
        expect(container.StopTimeout).toBeLessThanOrEqual(120);
      }
    });

    it("keeps the entrypoint's own defaults (docker run without infra/) equal to the budget", () => {
      expect(entrypointDefault('MONITOR_STOP_SECONDS')).toBe(SERVER_STOP_BUDGET.monitorSeconds);
      expect(entrypointDefault('OPENVPN_STOP_SECONDS')).toBe(SERVER_STOP_BUDGET.openvpnSeconds);
    });
  });

  describe('4: the server task role touches only its own site, and holds no Slack token', () => {
    /** The statements of the server task's role (not the execution role, not the instance role). */
    const taskRoleStatements = (t: Template) => {
      const { task } = serverContainer(t);
      const role = render(task.Properties.TaskRoleArn).replace(/^<|\.Arn>$/g, '');
      const policies = resourcesOfType(t, 'AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => render(r) === `<${role}>`))
        .map(([id]) => id);
      expect(policies.length).toBeGreaterThan(0);
      return allStatements({ t }).filter((s) => policies.includes(s.resource));
    };

    it('cannot read the Slack token (or any secret), and is not told where it is', () => {
      for (const t of tunnels) {
        const statements = taskRoleStatements(t);
        expect(statements.flatMap((s) => s.actions).filter((a) => /secretsmanager|kms/i.test(a))).toEqual([]);
        const { env } = serverContainer(t);
        expect(Object.keys(env).filter((k) => /SLACK/.test(k))).toEqual([]);
        // No statement anywhere in the tunnel's stack reads a secret.
        expect(
          allStatements({ t }).filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:'))),
        ).toEqual([]);
      }
    });

    it("conditions every DynamoDB action on its own site's partition keys or the EC2 budget's, and grants no keyless read", () => {
      for (const [t, site] of [
        [tunnels[0]!, 'dc1'],
        [tunnels[1]!, 'dc1'],
      ] as const) {
        const dynamo = taskRoleStatements(t).filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
        const siteKeys = {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': siteStateLeadingKeys(site) },
        };
        const budgetKeys = {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ec2BudgetLeadingKeys() },
        };
        // Exactly two grants: its site's partitions, and the shared EC2 budget's records (read, put and
        // update, the writes Store.advance makes; nothing else).
        expect(dynamo.map((s) => s.condition)).toEqual([siteKeys, budgetKeys]);
        expect(dynamo[1]!.actions.sort()).toEqual([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ]);
        for (const s of dynamo) {
          // The table only (no index: the all-sites audit view), and nothing that reads without a key.
          expect(s.resources.every((r) => /:table\/tunnelops-state$/.test(r))).toBe(true);
          for (const a of s.actions)
            expect([
              'dynamodb:Scan',
              'dynamodb:*',
              'dynamodb:BatchGetItem',
              'dynamodb:PartiQLSelect',
            ]).not.toContain(a);
        }
        expect(siteStateLeadingKeys(site)).toEqual([`site#${site}#*`, `audit#site#${site}`]);
        expect(ec2BudgetLeadingKeys()).toEqual(['rec#ec2-budget']);
      }
    });

    it("may change only its own site's route tables", () => {
      for (const t of tunnels) {
        const routes = taskRoleStatements(t).filter((s) => s.actions.includes('ec2:ReplaceRoute'));
        expect(routes.length).toBe(1);
        expect(routes[0]!.actions.sort()).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
        const own = loadTopology(join(REPO_ROOT, 'tunnels.yml')).sites.find(
          (x) => x.name === 'dc1',
        )!.routeTableIds;
        expect(routes[0]!.resources.map((r) => r.split(':route-table/')[1]).sort()).toEqual([...own].sort());
      }
    });
  });
  describe('14: no pull request can assume a role', () => {
    const ISSUER = 'token.actions.githubusercontent.com';
    /** Every statement of every role's trust policy, in every stack, that a GitHub Actions token could match. */
    const githubTrust = () =>
      Object.entries(synth.templates).flatMap(([stack, t]) =>
        resourcesOfType(t, 'AWS::IAM::Role').flatMap(([id, r]) =>
          (r.Properties.AssumeRolePolicyDocument.Statement as Template[])
            .filter((st) => JSON.stringify(st).includes(ISSUER))
            .map((st) => ({ role: `${stack}/${id}`, name: String(r.Properties.RoleName), st })),
        ),
      );

    it('trusts only the default branch and the deploy environments: never a pull_request subject', () => {
      const trust = githubTrust();
      expect(trust.map((x) => x.name).sort()).toEqual([
        'tunnelops-github-deploy-prod',
        'tunnelops-github-deploy-staging',
        'tunnelops-github-diff',
      ]);
      const allowed = [
        diffRoleSubject('example-org/tunnelops', 'main'),
        'repo:example-org/tunnelops:environment:prod',
        'repo:example-org/tunnelops:environment:staging',
      ];
      for (const { st } of trust) {
        expect(st.Action).toBe('sts:AssumeRoleWithWebIdentity');
        // Exact subjects only: a StringLike (wildcard) operator or any other condition key could widen them.
        expect(Object.keys(st.Condition)).toEqual(['StringEquals']);
        expect(st.Condition.StringEquals[`${ISSUER}:aud`]).toBe('sts.amazonaws.com');
        const subjects = [st.Condition.StringEquals[`${ISSUER}:sub`]].flat() as string[];
        expect(subjects.length).toBeGreaterThan(0);
        for (const sub of subjects) {
          expect(allowed).toContain(sub);
          expect(sub).not.toMatch(/pull_request|\*/);
        }
      }
      const diff = trust.find((x) => x.name === 'tunnelops-github-diff')!;
      expect(diff.st.Condition.StringEquals[`${ISSUER}:sub`]).toEqual([
        'repo:example-org/tunnelops:ref:refs/heads/main',
      ]);
    });
  });
});
