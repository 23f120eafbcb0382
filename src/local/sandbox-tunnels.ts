import type { Site, Topology } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import { findSite, findTunnel, requireSite, tunnelKey } from '../domain/topology.js';
import type { Clock } from '../ports/clock.js';

export interface Transition {
  at: number;
  up: boolean;
}

/**
 * Up/down history of every simulated tunnel (chaos breaks and heals them). Before the sandbox started,
 * every tunnel counts as up, so there are probe samples from the first second.
 */
export class SandboxTunnels {
  private readonly history = new Map<string, Transition[]>();
  readonly startedAt: number;

  constructor(
    private readonly topology: Topology,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  /** The site, or a not_found error naming what exists. */
  site(name: string): Site {
    return requireSite(this.topology, name);
  }

  /** Checks the tunnel exists and returns its key. */
  key(siteName: string, tunnel: string): string {
    const site = this.site(siteName);
    if (!findTunnel(site, tunnel)) {
      const known = site.tunnels.map((t) => t.name).join(', ');
      throw new TunnelOpsError(
        'not_found',
        `site ${site.name} has no tunnel "${tunnel}" (tunnels: ${known})`,
      );
    }
    return tunnelKey(site.name, tunnel);
  }

  set(key: string, up: boolean): void {
    if (this.isUp(key) === up) return;
    const list = this.history.get(key) ?? [];
    list.push({ at: this.clock.now(), up });
    this.history.set(key, list);
  }

  /** Every tunnel's transitions, to keep across a restart. */
  snapshot(): Record<string, Transition[]> {
    return Object.fromEntries([...this.history].map(([k, list]) => [k, [...list]]));
  }

  /** Restores saved transitions of tunnels that still exist (the topology may have changed meanwhile). */
  restore(saved: Record<string, Transition[]>): void {
    for (const [key, list] of Object.entries(saved)) {
      const [site, tunnel] = key.split('/');
      const s = site ? findSite(this.topology, site) : undefined;
      if (s && tunnel && findTunnel(s, tunnel)) this.history.set(key, [...list]);
    }
  }

  isUp(key: string): boolean {
    return this.history.get(key)?.at(-1)?.up ?? true;
  }

  /** When the tunnel last changed state (the sandbox start if never). */
  since(key: string): number {
    return this.history.get(key)?.at(-1)?.at ?? this.startedAt;
  }

  /** Milliseconds the tunnel was down within [from, to]. */
  downMs(key: string, from: number, to: number): number {
    let total = 0;
    let up = true;
    let mark = from;
    for (const t of this.history.get(key) ?? []) {
      if (t.at > to) break;
      if (t.at > mark) {
        if (!up) total += t.at - mark;
        mark = t.at;
      }
      up = t.up;
    }
    if (!up && to > mark) total += to - mark;
    return total;
  }
}

/** A small deterministic number in [0, 1) from a string: sandbox jitter that tests can rely on. */
export function sandboxNoise(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000;
}

/** A stable fake AWS id (e.g. i-0…, eni-0…) for a tunnel. */
export function sandboxId(prefix: string, key: string): string {
  const hex = [0, 1, 2].map((i) =>
    Math.floor(sandboxNoise(`${prefix}:${key}:${i}`) * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0'),
  );
  return `${prefix}-0${hex.join('').slice(0, 16)}`;
}
