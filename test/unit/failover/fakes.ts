import { parseTopology } from '../../../src/config/load-topology.js';
import type { FailoverMode, Site, Topology } from '../../../src/config/topology-schema.js';
import type { RouteObservation, TunnelTaskState } from '../../../src/domain/observations.js';
import { type Outcome, ok } from '../../../src/domain/outcome.js';
import { tunnelKey } from '../../../src/domain/topology.js';
import type { Account } from '../../../src/ports/account.js';
import type { Chat, ChatMessage, ChatMessageRef } from '../../../src/ports/chat.js';
import { RouteExistsError, RouteMissingError, type RouteTables } from '../../../src/ports/route-tables.js';
import type { TaskRuntime } from '../../../src/ports/tasks.js';
import { slackRenderer } from '../../../src/slack/views/slack-renderer.js';
import { topologyInput } from '../../helpers/fakes/site.js';

export function testTopology(
  overrides: { mode?: FailoverMode; cooldownSeconds?: number; maxAutomaticPerHour?: number } = {},
): Topology {
  const failover = {
    mode: 'auto',
    fall: 3,
    rise: 5,
    cooldownSeconds: 300,
    maxAutomaticPerHour: 3,
    heartbeatStaleSeconds: 10,
    ...overrides,
  };
  return parseTopology(JSON.stringify(topologyInput({ failover })));
}

/** Route tables in memory: every route starts at `initial`; counts ReplaceRoute calls. */
export class MemoryRouteTables implements RouteTables {
  readonly routes = new Map<string, string>();
  readonly replaced: Array<{ routeTableId: string; cidr: string; tunnel: string }> = [];
  readonly created: Array<{ routeTableId: string; cidr: string; tunnel: string }> = [];
  constructor(
    sites: readonly Site[],
    initial = 'primary',
    private readonly delayMs = 0,
  ) {
    for (const s of sites)
      for (const r of s.routeTableIds)
        for (const c of s.onPremCidrs) this.routes.set(`${s.name} ${r} ${c}`, initial);
  }
  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>> {
    const out = new Map<string, Outcome<RouteObservation[]>>();
    for (const s of sites) {
      const list = s.routeTableIds.flatMap((routeTableId) =>
        s.onPremCidrs.map((cidr) => {
          const tunnel = this.routes.get(`${s.name} ${routeTableId} ${cidr}`) ?? null;
          return { routeTableId, cidr, tunnel, target: tunnel, blackhole: false, missing: tunnel === null };
        }),
      );
      out.set(s.name, ok(list));
    }
    return out;
  }
  async replace(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (!this.routes.has(`${site.name} ${routeTableId} ${cidr}`))
      throw new RouteMissingError(`no route ${cidr} in ${routeTableId}; create it`);
    this.routes.set(`${site.name} ${routeTableId} ${cidr}`, tunnel);
    this.replaced.push({ routeTableId, cidr, tunnel });
  }
  /** CreateRoute: only a missing route (the executor picks create for routes observed missing). */
  async create(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    const key = `${site.name} ${routeTableId} ${cidr}`;
    if (this.routes.has(key)) throw new RouteExistsError(`route ${cidr} in ${routeTableId} already exists`);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.routes.set(key, tunnel);
    this.created.push({ routeTableId, cidr, tunnel });
  }
  activeOf(site: string): string[] {
    return [...new Set([...this.routes].filter(([k]) => k.startsWith(`${site} `)).map(([, v]) => v))];
  }
}

/** ECS as a map the test sets; every tunnel runs 1/1 unless told otherwise. */
export class MemoryTasks implements TaskRuntime {
  readonly states = new Map<string, TunnelTaskState>();
  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<TunnelTaskState>>> {
    const out = new Map<string, Outcome<TunnelTaskState>>();
    for (const s of sites)
      for (const t of s.tunnels) {
        const k = tunnelKey(s.name, t.name);
        out.set(k, ok(this.states.get(k) ?? { desired: 1, running: 1, pending: 0, deploying: false }));
      }
    return out;
  }
  async redeploy(): Promise<string> {
    throw new Error('not in these tests');
  }
  async deploymentProgress(): Promise<never> {
    throw new Error('not in these tests');
  }
}

export function memoryAccount(
  topology: Topology,
  opts: { delayMs?: number } = {},
): Pick<Account, 'routeTables' | 'tasks'> & {
  routeTables: MemoryRouteTables;
  tasks: MemoryTasks;
} {
  return {
    routeTables: new MemoryRouteTables(topology.sites, 'primary', opts.delayMs ?? 0),
    tasks: new MemoryTasks(),
  };
}

/** Records posts. */
export class RecordingChat implements Chat {
  readonly render = slackRenderer;
  readonly posts: Array<{ channel: string } & ChatMessage> = [];
  async post(channel: string, message: ChatMessage) {
    this.posts.push({ channel, ...message });
    return { channel, ts: String(this.posts.length) };
  }
  async update(_ref: ChatMessageRef, _message: ChatMessage): Promise<void> {}
  async postEphemeral(): Promise<void> {}
  async uploadFile() {}
  async userGroupMembers(): Promise<string[]> {
    return [];
  }
}
