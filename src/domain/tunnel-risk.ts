import type { Site, Topology } from '../config/topology-schema.js';
import type { CdkDiff, ResourceChange, ResourceDiff } from './cdk-diff.js';

/** What a change does to a tunnel while it deploys. */
export type Disruption = 'replaces-instance' | 'restarts-server' | 'changes-address' | 'changes-routes';

export interface TunnelRisk {
  site: string;
  /** null for site-wide resources (routes). */
  tunnel: string | null;
  disruption: Disruption;
  resource: ResourceDiff;
  /** One sentence for the PR comment. */
  message: string;
}

export interface RiskReport {
  risks: TunnelRisk[];
  /** Sites whose two tunnels are both disrupted by this one deploy. */
  bothTunnelsDown: string[];
}

const DISRUPTING: ReadonlyArray<{ types: string[]; changes: ResourceChange[]; disruption: Disruption }> = [
  {
    types: ['AWS::EC2::Instance', 'AWS::AutoScaling::AutoScalingGroup'],
    changes: ['replace', 'may-replace', 'destroy'],
    disruption: 'replaces-instance',
  },
  {
    types: ['AWS::EC2::LaunchTemplate'],
    changes: ['modify', 'replace', 'may-replace', 'destroy'],
    disruption: 'replaces-instance',
  },
  {
    types: ['AWS::ECS::TaskDefinition', 'AWS::ECS::Service'],
    changes: ['modify', 'replace', 'may-replace', 'destroy'],
    disruption: 'restarts-server',
  },
  {
    types: ['AWS::EC2::EIP', 'AWS::EC2::EIPAssociation'],
    changes: ['replace', 'may-replace', 'destroy'],
    disruption: 'changes-address',
  },
  {
    types: ['AWS::EC2::Route'],
    changes: ['modify', 'replace', 'may-replace', 'destroy'],
    disruption: 'changes-routes',
  },
];

const segments = (r: ResourceDiff, stack: string): string[] =>
  [stack, ...r.path.split('/')].map((s) => s.toLowerCase());

/** The site a resource belongs to: a path segment or the stack name naming it. */
function siteOf(topology: Topology, r: ResourceDiff, stack: string): Site | undefined {
  const segs = segments(r, stack);
  return topology.sites.find((s) => segs.some((seg) => seg === s.name || seg.split(/[-_]/).includes(s.name)));
}

function tunnelOf(site: Site, r: ResourceDiff, stack: string): string | null {
  const segs = segments(r, stack);
  const match = site.tunnels.find((t) => segs.some((seg) => seg === t.name || seg.includes(t.name)));
  return match?.name ?? null;
}

function sentence(site: Site, tunnel: string | null, d: Disruption, r: ResourceDiff): string {
  const other = tunnel ? site.tunnels.find((t) => t.name !== tunnel)?.name : undefined;
  const fallsOver = other ? `: traffic will fail over to ${other}` : '';
  switch (d) {
    case 'replaces-instance':
      return `replaces the ${tunnel ?? site.name} instance (${r.type} ${r.change})${fallsOver}`;
    case 'restarts-server':
      return `restarts the ${tunnel ?? site.name} OpenVPN server (${r.type} ${r.change})${fallsOver}`;
    case 'changes-address':
      return `changes the ${tunnel ?? site.name} Elastic IP (${r.type} ${r.change}): the on-prem client must reconnect${fallsOver}`;
    case 'changes-routes':
      return `changes ${site.name}'s VPC routes (${r.type} ${r.change}): the failover controller owns them after creation`;
  }
}

/** Finds every change that takes a tunnel down or moves traffic, per site. */
export function assessTunnelRisk(topology: Topology, diff: CdkDiff): RiskReport {
  const risks: TunnelRisk[] = [];
  for (const stack of diff.stacks) {
    for (const r of stack.resources) {
      const rule = DISRUPTING.find((d) => d.types.includes(r.type) && d.changes.includes(r.change));
      if (!rule) continue;
      const site = siteOf(topology, r, stack.stack);
      if (!site) continue;
      const tunnel = rule.disruption === 'changes-routes' ? null : tunnelOf(site, r, stack.stack);
      risks.push({
        site: site.name,
        tunnel,
        disruption: rule.disruption,
        resource: r,
        message: sentence(site, tunnel, rule.disruption, r),
      });
    }
  }
  const bothTunnelsDown = topology.sites
    .filter((s) =>
      s.tunnels.every((t) =>
        risks.some((r) => r.site === s.name && r.tunnel === t.name && r.disruption !== 'changes-routes'),
      ),
    )
    .map((s) => s.name);
  return { risks, bothTunnelsDown };
}

const MIN_REASON_CHARS = 10;
const TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * A PR may take both tunnels of a site down only if its body says why on a `tunnel-risk:` line (the reason on
 * that same line, at least 10 characters). The body is person-written and the former
 * `/^\s*tunnel-risk:\s*(.{10,})$/im` was quadratic on runs of newlines (65,536 of them blocked the event loop
 * 3.3 s). Here each character is looked at a bounded number of times: a literal search for the marker, a scan
 * back over the spaces before it, and on to the end of its line, after which the search resumes.
 */
export function riskJustification(prBody: string | null | undefined): string | null {
  const body = prBody ?? '';
  const marker = /tunnel-risk:/gi;
  for (let m = marker.exec(body); m !== null; m = marker.exec(body)) {
    const end = lineEnd(body, marker.lastIndex);
    if (startsLine(body, m.index)) {
      const reason = body.slice(marker.lastIndex, end).trim();
      if (reason.length >= MIN_REASON_CHARS) return reason;
    }
    marker.lastIndex = end; // a later marker on this line follows other text: not a tunnel-risk line
  }
  return null;
}

const NEXT_TERMINATOR = /[\n\r\u2028\u2029]/g;

function lineEnd(s: string, from: number): number {
  NEXT_TERMINATOR.lastIndex = from; // set before every use: the search is synchronous
  return NEXT_TERMINATOR.exec(s)?.index ?? s.length;
}

/** Only whitespace between the line's start and `i`. */
function startsLine(s: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const c = s[j] as string;
    if (TERMINATOR.test(c)) return true;
    if (!/\s/.test(c)) return false;
  }
  return true;
}
