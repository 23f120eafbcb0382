import { setTimeout as delay } from 'node:timers/promises';
import type { Site } from '../../config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../domain/heartbeat.js';
import { reasonOf } from '../../domain/outcome.js';
import type { RefusalCode } from '../../domain/refusal.js';
import {
  planRotation,
  type RotationPlan,
  type RotationStep,
  type TunnelCerts,
  whatIsLeft,
} from '../../domain/rotation-plan.js';
import { mostCommonTunnel, routeSlots } from '../../domain/route-plan.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { PublishedServerCerts } from '../../ports/server-certs.js';
import type { Store } from '../../ports/store.js';
import { ExecutionAudit, PROGRESS_SETTLE_MS } from '../execution/execution-audit.js';
import type { FailoverExecutor } from '../failover/failover-executor.js';
import type { TargetCheck } from '../failover/failover-plan.js';
import type { RedeployExecutor } from '../redeploy/redeploy-executor.js';

export interface RotationRun {
  site: Site;
  actor: string;
  requestId?: string;
  onProgress?: (message: string) => Promise<void> | void;
}

export type RotationResult =
  | { ok: true; rotated: string[]; durationMs: number }
  | {
      ok: false;
      refused: boolean;
      /** Why it was refused before anything changed (only when refused). */
      refusal?: RefusalCode;
      reason: string;
      rotated: string[];
      left: string;
      durationMs: number;
    };

/** How long a restarted server has to come up healthy on its new certificate. */
const DEFAULT_HEALTHY_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_POLL_MS = 2_000;

/**
 * `/vpn rotate`: puts every server of a site on the certificate published for it, standby first, through the
 * one redeploy and the one planned failover there are (each takes the site lock, audits and rolls back on its
 * own). After each restart it waits for the tunnel's monitor to say up with the new certificate's serial.
 * Any step that fails stops the run where it is: traffic is then on a tunnel that was healthy when it was
 * chosen (the restarted one is never made active before it is healthy), and the result says what is left.
 * The bot signs nothing and reads no key: the certificates are staged beforehand with `npm run pki`.
 */
export class RotationExecutor {
  private readonly healthyTimeoutMs: number;
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly props: {
      store: Store;
      clock: Clock;
      log: Logger;
      routeTables: RouteTables;
      certs: PublishedServerCerts;
      failover: FailoverExecutor;
      redeploy: RedeployExecutor;
      /** Is the tunnel fit to carry traffic (the approved failover's own check: fresh heartbeat, up ...). */
      checkTarget: TargetCheck;
      healthyTimeoutMs?: number;
      pollMs?: number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {
    this.healthyTimeoutMs = props.healthyTimeoutMs ?? DEFAULT_HEALTHY_TIMEOUT_MS;
    this.pollMs = props.pollMs ?? DEFAULT_POLL_MS;
    this.sleep = props.sleep ?? ((ms) => delay(ms).then(() => undefined));
  }

  /** What a rotation of the site would do now (or why it cannot); changes nothing. */
  async plan(site: Site): Promise<RotationPlan> {
    try {
      const outcome = (await this.props.routeTables.observe([site])).get(site.name);
      const active = outcome?.ok ? mostCommonTunnel(routeSlots(site, outcome.value)) : null;
      const slots = outcome?.ok ? routeSlots(site, outcome.value) : [];
      // Split routes: no tunnel to keep traffic on while the other restarts.
      const whole = active !== null && slots.every((s) => s.tunnel === active);
      return planRotation(
        site.name,
        whole ? active : null,
        await this.tunnelCerts(site),
        this.props.clock.now(),
      );
    } catch (err) {
      return {
        ok: false,
        code: 'routes-unreadable',
        reason: `cannot read the routes or certificates of ${site.name}: ${reasonOf(err)}`,
      };
    }
  }

  async execute(run: RotationRun): Promise<RotationResult> {
    const started = this.props.clock.now();
    const { site } = run;
    const log = this.props.log.child({ site: site.name, requestId: run.requestId, action: 'rotate' });
    const audit = new ExecutionAudit({ ...this.props, log, action: 'rotate', plan: run });
    const elapsed = () => this.props.clock.now() - started;
    const plan = await this.plan(site);
    if (!plan.ok) {
      await audit.record('refused', { reason: plan.reason });
      return {
        ok: false,
        refused: true,
        refusal: plan.code,
        reason: plan.reason,
        rotated: [],
        left: 'everything',
        durationMs: elapsed(),
      };
    }
    const { steps } = plan;
    await audit.record('started', {
      steps: steps.map((s) => (s.kind === 'redeploy' ? `redeploy ${s.tunnel}` : `failover ${s.to}`)),
    });
    await audit.progress(`Rotation of ${site.name}: ${plan.evidence.join('; ')}`);
    const rotated: string[] = [];
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const failed = await this.step(run, step, audit, log);
      if (failed) {
        const left = whatIsLeft(site.name, steps, i);
        const reason = `${failed}. Left: ${left}`;
        await audit.record('failed', { step: i + 1, reason: failed, left, durationMs: elapsed() });
        await audit.progress(`Rotation of ${site.name} stopped at step ${i + 1}/${steps.length}: ${reason}`);
        await Promise.all([audit.flush(), audit.settleProgress(PROGRESS_SETTLE_MS)]);
        return { ok: false, refused: false, reason, rotated, left, durationMs: elapsed() };
      }
      if (step.kind === 'redeploy') rotated.push(step.tunnel);
    }
    await audit.record('succeeded', { rotated, durationMs: elapsed() });
    // The result goes into the request message after this: the last step's line first.
    await Promise.all([audit.flush(), audit.settleProgress(PROGRESS_SETTLE_MS)]);
    return { ok: true, rotated, durationMs: elapsed() };
  }

  /** Runs one step; returns why it failed, or null. Each step's own executor audits its details. */
  private step(
    run: RotationRun,
    step: RotationStep,
    audit: ExecutionAudit,
    log: Logger,
  ): Promise<string | null> {
    return step.kind === 'failover'
      ? this.plannedFailover(run, step, audit)
      : this.redeployOnto(run, step, audit, log);
  }

  /** Who asks and where progress goes: the same on every step's run. */
  private stepRun(run: RotationRun) {
    return {
      site: run.site,
      actor: run.actor,
      ...(run.requestId ? { requestId: run.requestId } : {}),
      ...(run.onProgress ? { onProgress: run.onProgress } : {}),
    };
  }

  /** Moves every route onto a tunnel already rotated (and healthy), through the one planned failover. */
  private async plannedFailover(
    run: RotationRun,
    step: Extract<RotationStep, { kind: 'failover' }>,
    audit: ExecutionAudit,
  ): Promise<string | null> {
    await audit.progress(`Planned failover of ${run.site.name} to ${step.to}`);
    const res = await this.props.failover.execute({
      ...this.stepRun(run),
      to: step.to,
      reason: 'certificate rotation',
      trigger: 'approved',
    });
    await audit.record('step', {
      step: 'failover',
      to: step.to,
      ok: res.ok,
      ...(res.ok ? {} : { reason: res.reason }),
    });
    return res.ok
      ? null
      : `the planned failover to ${step.to} failed (${res.reason}); the routes stay where they were`;
  }

  /** Redeploys a tunnel that carries no traffic onto its published certificate, then waits for it to be healthy. */
  private async redeployOnto(
    run: RotationRun,
    step: Extract<RotationStep, { kind: 'redeploy' }>,
    audit: ExecutionAudit,
    log: Logger,
  ): Promise<string | null> {
    await audit.progress(
      `Published certificate ${step.serial} for ${run.site.name}/${step.tunnel}; redeploying it`,
    );
    const res = await this.props.redeploy.execute({
      ...this.stepRun(run),
      tunnel: step.tunnel,
      force: false,
    });
    await audit.record('step', {
      step: 'redeploy',
      tunnel: step.tunnel,
      serial: step.serial,
      ok: res.ok,
      ...(res.ok ? {} : { reason: res.reason }),
    });
    if (!res.ok) return `the redeploy of ${step.tunnel} failed (${res.reason})`;
    return this.confirmHealthy(run.site, step, audit, log);
  }

  /** The redeployed tunnel on its new serial and fit to carry traffic within healthyTimeoutMs, audited either way. */
  private async confirmHealthy(
    site: Site,
    step: Extract<RotationStep, { kind: 'redeploy' }>,
    audit: ExecutionAudit,
    log: Logger,
  ): Promise<string | null> {
    const healthy = await this.waitHealthyOn(site, step.tunnel, step.serial);
    await audit.record('step', {
      step: 'healthy',
      tunnel: step.tunnel,
      serial: step.serial,
      ok: healthy.ok,
      reason: healthy.reason,
    });
    if (!healthy.ok) {
      log.warn(
        { tunnel: step.tunnel, reason: healthy.reason },
        'rotated server not healthy on its new certificate',
      );
      return `${step.tunnel} did not come up healthy on certificate ${step.serial} within ${Math.round(this.healthyTimeoutMs / 1000)} s (${healthy.reason}); it carries no traffic`;
    }
    await audit.progress(`${site.name}/${step.tunnel} is healthy on certificate ${step.serial}`);
    return null;
  }

  /** Until the tunnel's monitor reports the new serial and the tunnel is fit to carry traffic. */
  private async waitHealthyOn(
    site: Site,
    tunnel: string,
    serial: string,
  ): Promise<{ ok: boolean; reason: string }> {
    const deadline = this.props.clock.now() + this.healthyTimeoutMs;
    let last = 'no heartbeat yet';
    for (;;) {
      try {
        const beat = await this.heartbeat(site, tunnel);
        if (beat?.serverCert?.serial !== serial) {
          last = `its monitor reports certificate ${beat?.serverCert?.serial ?? 'none'}`;
        } else {
          const fit = await this.props.checkTarget(site, tunnel);
          if (fit.healthy) return { ok: true, reason: fit.reason };
          last = fit.reason;
        }
      } catch (err) {
        last = reasonOf(err);
      }
      if (this.props.clock.now() >= deadline) return { ok: false, reason: last };
      await this.sleep(this.pollMs);
    }
  }

  private async heartbeat(site: Site, tunnel: string): Promise<Heartbeat | undefined> {
    return (await this.props.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(site.name, tunnel)))?.value;
  }

  private async tunnelCerts(site: Site): Promise<TunnelCerts[]> {
    return Promise.all(
      site.tunnels.map(async (t) => ({
        tunnel: t.name,
        published: await this.props.certs.published(site, t.name),
        running: (await this.heartbeat(site, t.name))?.serverCert ?? null,
      })),
    );
  }
}
