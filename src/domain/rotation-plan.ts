import type { RefusalCode } from './refusal.js';

/** A certificate as the rotation compares them: its serial (upper-case hex) and expiry (ISO). */
export interface CertId {
  serial: string;
  notAfter: string;
}

/** What the rotation knows of one tunnel: the certificate published for it and the one its server runs. */
export interface TunnelCerts {
  tunnel: string;
  published: CertId | null;
  /** From the monitor's heartbeat (read when the server started); null when no monitor reported one. */
  running: CertId | null;
}

/** One step of a rotation: restart a tunnel's server onto its published certificate, or move traffic. */
export type RotationStep =
  | { kind: 'redeploy'; tunnel: string; serial: string }
  | { kind: 'failover'; to: string };

export type RotationPlan =
  | { ok: true; steps: RotationStep[]; evidence: string[] }
  | { ok: false; code: RefusalCode; reason: string };

/** The commands that stage new server certificates (on the machine that holds the CA key). */
export const stageCommands = (site: string): string =>
  `\`npm run pki -- renew ${site} --role server\` then \`npm run pki -- publish ${site} --bucket <cert bucket>\``;

const short = (c: CertId | null): string =>
  c ? `${c.serial.slice(0, 16)} (until ${c.notAfter.slice(0, 10)})` : 'unknown';

/**
 * Standby first: each tunnel that does not run its published certificate is restarted onto it while it
 * carries no traffic; the active one only after a planned failover onto a tunnel already done. Traffic thus
 * always stays on a tunnel that is up. Refuses when nothing is staged, when a published certificate is
 * missing or expired, or when no tunnel clearly carries traffic.
 */
export function planRotation(
  site: string,
  active: string | null,
  certs: readonly TunnelCerts[],
  now: number,
): RotationPlan {
  if (active === null)
    return {
      ok: false,
      code: 'active-unknown',
      reason: `cannot tell which tunnel of ${site} carries traffic (routes split or unreadable); check \`/vpn status ${site}\``,
    };
  for (const c of certs) {
    if (!c.published)
      return {
        ok: false,
        code: 'cert-not-staged',
        reason: `no server certificate is published for ${site}/${c.tunnel}: stage one with ${stageCommands(site)}`,
      };
    if (Date.parse(c.published.notAfter) <= now)
      return {
        ok: false,
        code: 'cert-not-staged',
        reason: `the server certificate published for ${site}/${c.tunnel} expired ${c.published.notAfter}: stage a new one with ${stageCommands(site)}`,
      };
  }
  const todo = certs.filter((c) => c.running?.serial !== c.published?.serial);
  if (todo.length === 0)
    return {
      ok: false,
      code: 'nothing-to-rotate',
      reason: `nothing to rotate: every server of ${site} already runs its published certificate (${certs.map((c) => `${c.tunnel} ${short(c.running)}`).join(', ')}). Stage new ones first: ${stageCommands(site)}`,
    };
  const standby = todo.filter((c) => c.tunnel !== active);
  const steps: RotationStep[] = standby.map((c) => ({
    kind: 'redeploy',
    tunnel: c.tunnel,
    serial: c.published!.serial,
  }));
  const activeCerts = todo.find((c) => c.tunnel === active);
  if (activeCerts) {
    const onto = certs.find((c) => c.tunnel !== active);
    if (!onto)
      return {
        ok: false,
        code: 'no-standby',
        reason: `${site} has no tunnel besides ${active} to carry traffic meanwhile`,
      };
    steps.push(
      { kind: 'failover', to: onto.tunnel },
      { kind: 'redeploy', tunnel: active, serial: activeCerts.published!.serial },
    );
  }
  const evidence = certs.map(
    (c) =>
      `${c.tunnel}${c.tunnel === active ? ' (active)' : ''}: runs ${short(c.running)}, published ${short(c.published)}${todo.includes(c) ? '' : ' (already done)'}`,
  );
  return { ok: true, steps, evidence };
}

export const describeStep = (site: string, s: RotationStep): string =>
  s.kind === 'redeploy'
    ? `redeploy ${site}/${s.tunnel} onto certificate ${s.serial.slice(0, 16)} and wait until it is healthy on it`
    : `planned failover of ${site} to ${s.to}`;

/** What a stopped rotation leaves to do, in words (re-running `/vpn rotate` does exactly that). */
export function whatIsLeft(site: string, steps: readonly RotationStep[], done: number): string {
  const left = steps.slice(done);
  if (left.length === 0) return 'nothing';
  return `${left.map((s) => describeStep(site, s)).join('; then ')}. \`/vpn rotate ${site}\` again does what is left`;
}
