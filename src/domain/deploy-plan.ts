import type { Topology } from '../config/topology-schema.js';

/**
 * Deploy order that never takes both tunnels of a site down: per-tunnel stacks are deployed one at a time,
 * the standby first; before the active tunnel's stack is touched, traffic moves to the freshly deployed standby.
 */
export type DeployStep =
  | { kind: 'deploy'; stacks: string[] }
  | { kind: 'wait-healthy'; site: string; tunnel: string }
  | { kind: 'failover'; site: string; to: string };

export interface PlanInput {
  topology: Topology;
  /** Stacks with changes (from the diff), or every stack of the app. */
  stacks: string[];
  /** Active tunnel per site as the route tables say now. */
  active: Record<string, string | null>;
}

/** A stack belongs to a tunnel when its name ends with `-<site>-<tunnel>` (infra/ names them so). */
export function tunnelOfStack(topology: Topology, stack: string): { site: string; tunnel: string } | null {
  for (const site of topology.sites) {
    for (const t of site.tunnels)
      if (stack.endsWith(`-${site.name}-${t.name}`)) return { site: site.name, tunnel: t.name };
  }
  return null;
}

export function planDeploy(input: PlanInput): DeployStep[] {
  const { topology, stacks, active } = input;
  const shared = stacks.filter((s) => !tunnelOfStack(topology, s));
  const steps: DeployStep[] = [];
  const push = (step: DeployStep) => {
    // A wait right after the same wait is redundant (the standby deployed just before the failover).
    if (JSON.stringify(steps.at(-1)) !== JSON.stringify(step)) steps.push(step);
  };
  if (shared.length) push({ kind: 'deploy', stacks: shared });
  for (const site of topology.sites) {
    const changed = site.tunnels.filter((t) =>
      stacks.some(
        (s) => tunnelOfStack(topology, s)?.tunnel === t.name && s.endsWith(`-${site.name}-${t.name}`),
      ),
    );
    if (changed.length === 0) continue;
    const activeName = active[site.name] ?? null;
    // Standby (not active) tunnels first, then the active one after traffic has moved away from it.
    const ordered = [...changed].sort(
      (a, b) => Number(a.name === activeName) - Number(b.name === activeName),
    );
    for (const tunnel of ordered) {
      const stack = stacks.find((s) => s.endsWith(`-${site.name}-${tunnel.name}`))!;
      if (tunnel.name === activeName) {
        const standby = site.tunnels.find((t) => t.name !== tunnel.name)!;
        push({ kind: 'wait-healthy', site: site.name, tunnel: standby.name });
        push({ kind: 'failover', site: site.name, to: standby.name });
      }
      push({ kind: 'deploy', stacks: [stack] });
      push({ kind: 'wait-healthy', site: site.name, tunnel: tunnel.name });
    }
  }
  return steps;
}
