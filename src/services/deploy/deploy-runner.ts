import type { Topology } from '../../config/topology-schema.js';
import { type DeployStep, planDeploy } from '../../domain/deploy-plan.js';
import type { StatusReport } from '../../domain/status.js';
import { requireSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Account } from '../../ports/account.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { FailoverExecutor } from '../failover/failover-executor.js';
import type { FailoverPlan, FailoverResult } from '../failover/failover-plan.js';
import { StatusService } from '../status/status-service.js';
import { statusTargetCheck } from '../status/status-target-check.js';

export interface DeployRunnerProps {
  topology: Topology;
  status: { report(siteNames?: string[]): Promise<StatusReport> };
  failover: { execute(plan: FailoverPlan): Promise<FailoverResult> };
  /** Runs `cdk deploy` for these stacks; throws when the deploy fails. */
  cdkDeploy: (stacks: string[]) => Promise<void>;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  actor: string;
  healthTimeoutMs?: number;
  pollMs?: number;
}

/** Runs the deploy plan: stacks in order, waiting for health, failing over through the audited executor. */
export class DeployRunner {
  constructor(private readonly props: DeployRunnerProps) {}

  async plan(stacks: string[]): Promise<DeployStep[]> {
    const report = await this.props.status.report();
    const active = Object.fromEntries(report.sites.map((s) => [s.name, s.activeTunnel]));
    return planDeploy({ topology: this.props.topology, stacks, active });
  }

  async run(stacks: string[]): Promise<DeployStep[]> {
    const steps = await this.plan(stacks);
    this.props.log.info({ steps }, 'deploy plan');
    for (const step of steps) await this.runStep(step);
    return steps;
  }

  private async runStep(step: DeployStep): Promise<void> {
    const { log } = this.props;
    log.info({ step }, 'deploy step');
    if (step.kind === 'deploy') return this.props.cdkDeploy(step.stacks);
    if (step.kind === 'wait-healthy') return this.waitHealthy(step.site, step.tunnel);
    const site = requireSite(this.props.topology, step.site);
    const result = await this.props.failover.execute({
      site,
      to: step.to,
      actor: this.props.actor,
      reason: 'deploy: move traffic off the tunnel about to be deployed',
      trigger: 'approved',
    });
    // Already active is fine: nothing to move.
    if (!result.ok && result.refusal !== 'already-active')
      throw new Error(`failover to ${step.to} failed: ${result.reason}`);
  }

  private async waitHealthy(site: string, tunnel: string): Promise<void> {
    const { clock, sleep } = this.props;
    const deadline = clock.now() + (this.props.healthTimeoutMs ?? 10 * 60_000);
    let last = 'no status yet';
    while (clock.now() < deadline) {
      const report = await this.props.status.report([site]);
      const t = report.sites[0]?.tunnels.find((x) => x.name === tunnel);
      if (t?.health === 'healthy') return;
      last = t ? `${t.health}: ${t.healthReason}` : 'tunnel not in the status report';
      await sleep(this.props.pollMs ?? 10_000);
    }
    throw new Error(`${site}/${tunnel} did not become healthy in time (${last}); stopping the deploy`);
  }
}

/** The runner over an account and a store: status decides health, the audited executor moves traffic. */
export function deployRunnerFor(
  p: { account: Account; store: Store } & Omit<DeployRunnerProps, 'status' | 'failover'>,
): DeployRunner {
  const { account, store, ...rest } = p;
  const status = new StatusService({ topology: p.topology, account, store, clock: p.clock, log: p.log });
  const failover = new FailoverExecutor({
    store,
    routeTables: account.routeTables,
    clock: p.clock,
    log: p.log,
    checkTarget: statusTargetCheck(status),
  });
  return new DeployRunner({ ...rest, status, failover });
}
