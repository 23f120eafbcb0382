import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { TunnelOpsError } from '../../src/domain/errors.js';
import { ok } from '../../src/domain/outcome.js';
import { tunnelKey } from '../../src/domain/topology.js';
import { NetnsRouteTables } from '../../src/local/netns-route-tables.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { CompositeReporter, type HealthReporter } from '../../src/monitor/health-reporter.js';
import type { TrackedHealth } from '../../src/monitor/health-tracker.js';
import { HeartbeatReporter } from '../../src/monitor/heartbeat-reporter.js';
import { icmpProber } from '../../src/monitor/icmp-prober.js';
import { LocalReporter } from '../../src/monitor/local-reporter.js';
import { MonitorLoop } from '../../src/monitor/monitor-loop.js';
import { byKind } from '../../src/monitor/probe.js';
import { systemClock } from '../../src/ports/clock.js';
import type { TaskRuntime } from '../../src/ports/tasks.js';
import { type ControllerOutcome, FailoverController } from '../../src/services/failover-controller.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import type { Lab } from './lab.js';
import { type LabTunnel, ROUTE_TABLES, TUNNELS } from './lab-plan.js';
import { waitFor } from './netns.js';
import { nsTcpProber } from './ns-tcp-prober.js';

/** The lab's stand-in for ECS: a tunnel's "task" runs while its server's openvpn process lives. */
export function labTasks(lab: Lab): TaskRuntime {
  return {
    async observe(sites) {
      const out = new Map();
      for (const site of sites) {
        for (const t of TUNNELS) {
          const running = lab.serverRunning(t) ? 1 : 0;
          out.set(tunnelKey(site.name, t), ok({ desired: 1, running, pending: 0, deploying: false }));
        }
      }
      return out;
    },
    async redeploy() {
      throw new TunnelOpsError('bad_request', 'the lab does not redeploy');
    },
    async deploymentProgress() {
      throw new TunnelOpsError('bad_request', 'the lab does not redeploy');
    },
  };
}

/**
 * The automatic path on top of a running lab, all in-process: a monitor per tunnel probing the on-prem
 * targets from its server host namespace (ip netns exec), heartbeats in a SQLite store, the controller in
 * mode auto with the real FailoverExecutor, the netns route adapter, and Slack via SlackChat -> SlackStandin.
 */
export class LabController {
  readonly store: SqliteStore;
  readonly routes: NetnsRouteTables;
  readonly controller: FailoverController;
  readonly outcomes: ControllerOutcome[] = [];
  readonly loops = new Map<LabTunnel, MonitorLoop>();
  private armed = false;
  /** Probe rounds seen per tunnel (a test can show that loss really hit the probes). */
  readonly rounds = new Map<
    string,
    { rounds: number; failedRounds: number; probes: number; failedProbes: number }
  >();

  /** Starts the Slack stand-in, builds the controller around it, starts the monitors, waits until both are up. */
  static async start(lab: Lab, name: string): Promise<LabController> {
    const slack = new SlackStandin();
    const c = new LabController(lab, name, slack, await slack.start());
    try {
      for (const loop of c.loops.values()) loop.start();
      for (const t of TUNNELS) {
        if (!(await c.waitHealth(t, 'up', 15_000))) throw new Error(`the monitor of ${t} never saw it up`);
      }
      // Only now does the controller hear health changes: as in production, where the monitors have been
      // reporting long before anything breaks (see the report: a first heartbeat race at start-up).
      c.armed = true;
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  private constructor(
    readonly lab: Lab,
    name: string,
    readonly slack: SlackStandin,
    slackUrl: string,
  ) {
    const log = pino(
      { level: 'info' },
      pino.destination({ dest: join(lab.root, `controller-${name}.log`), sync: true }),
    );
    const clock = systemClock;
    this.store = new SqliteStore({ path: join(lab.root, `state-${name}.sqlite`) });
    this.routes = new NetnsRouteTables({
      namespace: lab.ns.vpc,
      tables: Object.fromEntries(Object.entries(ROUTE_TABLES).map(([id, rt]) => [id, rt.table])),
      nextHops: { [lab.site.name]: lab.nextHops() },
    });
    this.controller = new FailoverController({
      topology: { sites: [lab.site] },
      account: { routeTables: this.routes, tasks: labTasks(lab) },
      store: this.store,
      chat: new SlackChat(new WebClient('xoxb-lab', { slackApiUrl: slackUrl, retryConfig: { retries: 0 } })),
      clock,
      log,
    });
    const sink = {
      onHealthChanged: async (c: Parameters<FailoverController['onHealthChanged']>[0]) => {
        if (!this.armed) return undefined;
        const outcome = await this.controller.onHealthChanged(c);
        this.outcomes.push(outcome);
        return outcome;
      },
    };
    for (const t of TUNNELS) {
      const ns = lab.ns.server[t];
      const prober = byKind({
        icmp: icmpProber({ commandPrefix: ['ip', 'netns', 'exec', ns], timeoutSeconds: 0.4 }),
        tcp: nsTcpProber(ns, 400),
      });
      const counter: HealthReporter = {
        round: async (r) => {
          const c = this.rounds.get(t) ?? { rounds: 0, failedRounds: 0, probes: 0, failedProbes: 0 };
          const failed = r.results.filter((p) => !p.ok).length;
          this.rounds.set(t, {
            rounds: c.rounds + 1,
            failedRounds: c.failedRounds + (failed === r.results.length ? 1 : 0),
            probes: c.probes + r.results.length,
            failedProbes: c.failedProbes + failed,
          });
        },
        changed: async () => undefined,
        flush: async () => undefined,
      };
      const reporter = new CompositeReporter([
        counter,
        new HeartbeatReporter({ store: this.store, log, intervalMs: 500 }),
        new LocalReporter({ sink, log }),
      ]);
      this.loops.set(
        t,
        new MonitorLoop({
          site: lab.site,
          tunnel: t,
          prober,
          reporter,
          clock,
          log: log.child({ tunnel: t }),
        }),
      );
    }
  }

  health(t: LabTunnel): TrackedHealth {
    return this.loops.get(t)!.tracker.state().health;
  }

  waitHealth(t: LabTunnel, want: TrackedHealth, timeoutMs: number): Promise<boolean> {
    return waitFor(async () => this.health(t) === want, timeoutMs, 100);
  }

  /** Which tunnel every route points at, or null when they disagree / point nowhere. */
  async active(): Promise<string | null> {
    const obs = (await this.routes.observe([this.lab.site])).get(this.lab.site.name);
    if (!obs?.ok) return null;
    const tunnels = new Set(obs.value.map((o) => o.tunnel));
    return tunnels.size === 1 ? [...tunnels][0]! : null;
  }

  /** Clears the per-tunnel round counters (start of a measured window). */
  resetRounds(): void {
    this.rounds.clear();
  }

  /** Texts the controller posted to the site's channel. */
  posts(): string[] {
    return this.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === this.lab.site.slackChannel)
      .map((c) => String(c.args.text ?? ''));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    await this.slack.stop();
    await this.store.close();
  }
}
