import type { AuditEntry } from '../../src/domain/audit.js';
import { NetnsRouteTables } from '../../src/local/netns-route-tables.js';
import type { TranscriptEntry } from '../../src/local/slack-standin.js';
import type { Lab } from './lab.js';
import { channelPosts, readAudit, readHeartbeats, readLeaseOwner } from './lab-observe.js';
import { type LabTunnel, routeTableNumbers, TUNNELS } from './lab-plan.js';
import { waitFor } from './netns.js';

/**
 * One scenario's view of a production-shape lab: the routes as the VPC router has them, and what the audit
 * and Slack gained since the scenario began (the lab, its store and its transcript are shared by scenarios).
 */
export class LabScenario {
  private readonly routes: NetnsRouteTables;
  private readonly auditFrom: number;
  private readonly postsFrom: number;
  readonly startedAt = Date.now();

  constructor(readonly lab: Lab) {
    this.routes = new NetnsRouteTables({
      namespace: lab.ns.vpc,
      tables: routeTableNumbers(lab.site.routeTableIds),
      nextHops: { [lab.site.name]: lab.nextHops() },
    });
    this.auditFrom = readAudit(lab.files.store, lab.site.name).length;
    this.postsFrom = channelPosts(lab.files.transcript, lab.site).length;
  }

  /** The tunnel of every route (null for a route that points nowhere or is missing). */
  async routeTunnels(): Promise<Array<string | null>> {
    const obs = (await this.routes.observe([this.lab.site])).get(this.lab.site.name);
    if (!obs?.ok) throw new Error(`cannot read the lab's routes: ${obs?.reason}`);
    return obs.value.map((o) => o.tunnel);
  }

  /** The tunnel every route points at, or null when they disagree or point nowhere. */
  async active(): Promise<string | null> {
    const tunnels = new Set(await this.routeTunnels());
    return tunnels.size === 1 ? ([...tunnels][0] ?? null) : null;
  }

  /** Ms from now until every route points at `t`, or null after timeoutMs. */
  async msUntilActive(t: LabTunnel, timeoutMs: number): Promise<number | null> {
    const t0 = Date.now();
    const ok = await waitFor(async () => (await this.active()) === t, timeoutMs, 25);
    return ok ? Date.now() - t0 : null;
  }

  /** The tunnel whose monitor's fast path holds the site lease (is moving routes) right now, or null. */
  decider(): LabTunnel | null {
    const owner = readLeaseOwner(this.lab.files.store, this.lab.site.name, Date.now());
    return (
      TUNNELS.find((t) => owner?.startsWith(`failover:controller@monitor:${this.lab.site.name}/${t}:`)) ??
      null
    );
  }

  audit(): AuditEntry[] {
    return readAudit(this.lab.files.store, this.lab.site.name).slice(this.auditFrom);
  }

  /** Completed failovers since the scenario began, with who ran them. */
  failovers(): AuditEntry[] {
    return this.audit().filter((a) => a.action === 'failover' && a.event === 'succeeded');
  }

  posts(): TranscriptEntry[] {
    return channelPosts(this.lab.files.transcript, this.lab.site).slice(this.postsFrom);
  }

  postTexts(): string[] {
    return this.posts().map((p) => String(p.args.text ?? ''));
  }

  heartbeat(t: LabTunnel) {
    return readHeartbeats(this.lab.files.store, this.lab.site.name)[t];
  }

  /** App-host pings that came back, and how many packets the tunnel's server sent into it meanwhile. */
  async trafficThrough(t: LabTunnel, count = 5): Promise<{ answered: number; sentIntoTunnel: number }> {
    const before = await this.lab.tunnelTxPackets(t);
    const answered = await this.lab.appPing(count);
    return { answered, sentIntoTunnel: (await this.lab.tunnelTxPackets(t)) - before };
  }
}
