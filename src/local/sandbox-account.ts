import type { Site, Topology } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import type { InstanceState, TunnelTaskState } from '../domain/observations.js';
import { type Outcome, ok } from '../domain/outcome.js';
import { findTunnel, tunnelKey } from '../domain/topology.js';
import type { Account } from '../ports/account.js';
import type { Clock } from '../ports/clock.js';
import type { Instances } from '../ports/instances.js';
import type { DeploymentProgress, TaskRuntime } from '../ports/tasks.js';
import { createSandboxMetrics } from './sandbox-metrics.js';
import { initialRoutes, sandboxRouteTables } from './sandbox-routes.js';
import type { SandboxServerCerts } from './sandbox-server-certs.js';
import { SandboxTunnels, sandboxId, type Transition } from './sandbox-tunnels.js';

/** The simulated account plus the sandbox's controls: break a tunnel's path, heal it, ask whether it is up. */
export interface SandboxAccount extends Account {
  chaos: { break(site: string, tunnel: string): void; heal(site: string, tunnel: string): void };
  tunnelUp(site: string, tunnel: string): boolean;
  /** Resolves once every change so far is saved (when the account persists its state). */
  saved(): Promise<void>;
  /** The server certificate each simulated server loaded (given serverCerts). */
  serverCerts?: SandboxServerCerts;
}

/** What the simulated account keeps across a restart: its routes and each tunnel's up/down history. */
export interface SandboxState {
  /** `${site}|${routeTableId}|${cidr}` -> tunnel. */
  routes: Record<string, string>;
  tunnels: Record<string, Transition[]>;
}

export interface SandboxAccountProps {
  topology: Topology;
  clock: Clock;
  /** State saved by an earlier run (routes and chaos), e.g. from the store. */
  initial?: SandboxState | null;
  /** Saves the state after every change; a route change completes only once saved, like a real ReplaceRoute. */
  persist?: (state: SandboxState) => Promise<void>;
  /** Each simulated server loads its published certificate when a redeploy of it completes. */
  serverCerts?: SandboxServerCerts;
}

/** A new ECS deployment of a sandbox tunnel takes this long (clock time) to become stable. */
export const SANDBOX_DEPLOY_MS = 3_000;

/**
 * The AWS account as the sandbox simulates it, in memory: every route starts at the site's primary and
 * `replace` really moves it; tasks run 1/1 (a broken tunnel's task keeps running, only its probes fail);
 * instances run; probe stats follow each tunnel's up/down history.
 */
export function createSandboxAccount(props: SandboxAccountProps): SandboxAccount {
  const { topology, clock } = props;
  const tunnels = new SandboxTunnels(topology, clock);
  const routes = initialRoutes(topology, props.initial?.routes);
  if (props.initial) tunnels.restore(props.initial.tunnels);
  const saver = stateSaver(props.persist, () => ({
    routes: Object.fromEntries(routes),
    tunnels: tunnels.snapshot(),
  }));
  const chaos = (site: string, tunnel: string, up: boolean) => {
    tunnels.set(tunnels.key(site, tunnel), up);
    saver.save().catch(() => undefined); // saved() reports a failure to whoever waits for it
  };
  return {
    routeTables: sandboxRouteTables(tunnels, routes, saver.save),
    tasks: createSandboxTasks(clock, props.serverCerts),
    instances: createSandboxInstances(),
    metrics: createSandboxMetrics(tunnels, clock),
    chaos: {
      break: (site, tunnel) => chaos(site, tunnel, false),
      heal: (site, tunnel) => chaos(site, tunnel, true),
    },
    tunnelUp: (site, tunnel) => tunnels.isUp(tunnels.key(site, tunnel)),
    saved: saver.saved,
    ...(props.serverCerts ? { serverCerts: props.serverCerts } : {}),
  };
}

/** Saves run one after another so an older snapshot never lands after a newer one; without persist, nothing. */
function stateSaver(persist: SandboxAccountProps['persist'], state: () => SandboxState) {
  let saving: Promise<void> = Promise.resolve();
  return {
    save: (): Promise<void> => {
      if (!persist) return saving;
      const snapshot = state();
      saving = saving.catch(() => undefined).then(() => persist(snapshot));
      return saving;
    },
    saved: (): Promise<void> => saving,
  };
}

function createSandboxInstances(): Instances {
  return {
    async observe(sites) {
      const out = new Map<string, Outcome<InstanceState>>();
      for (const site of sites) {
        for (const t of site.tunnels) {
          const key = tunnelKey(site.name, t.name);
          const instanceId = 'instanceId' in t.instance ? t.instance.instanceId : sandboxId('i', key);
          out.set(key, ok({ instanceId, state: 'running' }));
        }
      }
      return out;
    },
  };
}

function createSandboxTasks(clock: Clock, certs?: SandboxServerCerts): TaskRuntime {
  const deployments = new Map<string, { key: string; startedAt: number; restarted?: boolean }>();
  let seq = 0;
  const rolling = (key: string) =>
    [...deployments.values()].some((d) => d.key === key && clock.now() - d.startedAt < SANDBOX_DEPLOY_MS);
  const key = (site: Site, tunnel: string) => {
    if (!findTunnel(site, tunnel))
      throw new TunnelOpsError('not_found', `site ${site.name} has no tunnel "${tunnel}"`);
    return tunnelKey(site.name, tunnel);
  };

  return {
    async observe(sites) {
      const out = new Map<string, Outcome<TunnelTaskState>>();
      for (const site of sites) {
        for (const t of site.tunnels) {
          const k = tunnelKey(site.name, t.name);
          const deploying = rolling(k);
          out.set(k, ok({ desired: 1, running: 1, pending: deploying ? 1 : 0, deploying }));
        }
      }
      return out;
    },
    async redeploy(site, tunnel) {
      const id = `ecs-svc/${String(++seq).padStart(19, '0')}`;
      deployments.set(id, { key: key(site, tunnel), startedAt: clock.now() });
      return id;
    },
    async deploymentProgress(site, tunnel, deploymentId) {
      const d = deployments.get(deploymentId);
      if (!d || d.key !== key(site, tunnel)) {
        return {
          state: 'failed',
          detail: `no deployment ${deploymentId} of ${site.name}/${tunnel}`,
        } satisfies DeploymentProgress;
      }
      const elapsed = clock.now() - d.startedAt;
      if (elapsed < SANDBOX_DEPLOY_MS)
        return { state: 'in-progress', detail: 'new task starting (0/1 running)' };
      if (!d.restarted) {
        d.restarted = true;
        await certs?.start(site, tunnel);
      }
      return { state: 'completed', detail: '1/1 tasks of the new deployment running' };
    },
  };
}
