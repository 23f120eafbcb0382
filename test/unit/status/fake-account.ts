import type { Site } from '../../../src/config/topology-schema.js';
import { type Outcome, ok } from '../../../src/domain/outcome.js';
import { tunnelKey } from '../../../src/domain/topology.js';
import type { Account } from '../../../src/ports/account.js';

/** An Account whose ports answer from plain data and count their calls; any port can be made to reject. */
export function fakeAccount(
  fail: Partial<Record<'routes' | 'tasks' | 'instances' | 'probes' | 'alarms', Error>> = {},
) {
  const calls: string[] = [];
  const perTunnel = <T>(sites: readonly Site[], value: (site: Site, tunnel: string) => T) => {
    const out = new Map<string, Outcome<T>>();
    for (const s of sites)
      for (const t of s.tunnels) out.set(tunnelKey(s.name, t.name), ok(value(s, t.name)));
    return out;
  };
  const run = async <T>(name: keyof typeof fail, fn: () => T): Promise<T> => {
    calls.push(name);
    const err = fail[name];
    if (err) throw err;
    return fn();
  };
  const account: Account = {
    routeTables: {
      observe: (sites) =>
        run('routes', () => {
          const out = new Map<string, Outcome<never>>();
          for (const s of sites) {
            const list = s.routeTableIds.flatMap((routeTableId) =>
              s.onPremCidrs.map((cidr) => ({
                routeTableId,
                cidr,
                tunnel: s.tunnels[0]!.name,
                target: 'eni-0123456789abcdef0',
                blackhole: false,
                missing: false,
              })),
            );
            out.set(s.name, ok(list) as never);
          }
          return out;
        }),
      replace: async () => {},
      create: async () => {},
    },
    tasks: {
      observe: (sites) =>
        run('tasks', () =>
          perTunnel(sites, () => ({ desired: 1, running: 1, pending: 0, deploying: false })),
        ),
      redeploy: async () => 'd-1',
      deploymentProgress: async () => ({ state: 'completed', detail: 'done' }),
    },
    instances: {
      observe: (sites) =>
        run('instances', () =>
          perTunnel(sites, () => ({ instanceId: 'i-0abc12345def67890', state: 'running' })),
        ),
    },
    metrics: {
      probeStats: (sites) =>
        run('probes', () =>
          perTunnel(sites, () => ({ lossPct: 0.1, latencyMs: 20, recentLossPct: 0, samples: 300 })),
        ),
      alarms: (sites) => run('alarms', () => perTunnel(sites, () => [])),
      // null by default: an attached graph upload would outlive tests that stop the app after the reply.
      healthGraph: async () => null,
    },
  };
  return { account, calls };
}

export function awsError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
