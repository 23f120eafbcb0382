import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SERVER_STOP_BUDGET } from '../../src/monitor/stop-budget.js';
import { REPO_ROOT } from '../lib/common/repo-root.js';
import { render, resourcesOfType, type Synthesized, synthesize, type Template } from './helpers/synth.js';

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
});
