import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

/**
 * Issue 22 item 4: in the server image only root and the monitor reach a credential endpoint. The real
 * entrypoint runs with stand-ins for iptables, openvpn, setpriv and id on PATH (they record what they were
 * given); the recorded OUTPUT rules are then evaluated for packets from each user. The lab shows the same
 * rules refusing a real connection (test/lab/credential-isolation.test.ts).
 */
const ENTRYPOINT = join(process.cwd(), 'images/openvpn-server/entrypoint.sh');
const MONITOR_UID = 4242;
const NOBODY = 65534;

interface Packet {
  uid: number;
  dst: string;
  /** The destination before the ECS agent's DNAT (conntrack's original destination). */
  origDst?: string;
  dport?: number;
}

/** Evaluates the recorded `-A <chain> ...` rules (in order) for a packet: the first matching rule's target. */
function verdict(rules: string[][], p: Packet): 'RETURN' | 'REJECT' | 'none' {
  for (const r of rules) {
    const opt = (name: string) => {
      const i = r.indexOf(name);
      return i < 0 ? undefined : r[i + 1];
    };
    const ip = (cidr: string | undefined) => cidr?.replace(/\/32$/, '');
    const uid = opt('--uid-owner');
    if (uid !== undefined && Number(uid) !== p.uid) continue;
    const d = opt('-d');
    if (d !== undefined && ip(d) !== p.dst) continue;
    const orig = opt('--ctorigdst');
    if (orig !== undefined && ip(orig) !== (p.origDst ?? p.dst)) continue;
    const dport = opt('--dport');
    if (dport !== undefined && Number(dport) !== p.dport) continue;
    return opt('-j') as 'RETURN' | 'REJECT';
  }
  return 'none';
}

describe('server entrypoint: credential isolation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'entrypoint-creds-'));
  const bin = join(dir, 'bin');
  const out = join(dir, 'out');
  let iptables: string[][];
  let openvpnEnv: string;
  let monitorEnv: string;
  let exitCode: number | null;

  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };

  beforeAll(async () => {
    for (const d of [bin, out, join(dir, 'pki'), join(dir, 'run')])
      await promisify(execFile)('mkdir', ['-p', d]);
    for (const f of ['ca.crt', 'server.crt', 'server.key', 'tls-crypt.key', 'crl.pem'])
      writeFileSync(join(dir, 'pki', f), 'test');
    writeFileSync(join(dir, 'server.conf'), '# stand-in\n');
    // iptables: record every call; a check (-C) finds nothing, so every rule is added.
    stub(
      'iptables',
      `echo "$*" >> "${out}/iptables"; for a in "$@"; do [ "$a" = -C ] && exit 1; done; exit 0`,
    );
    stub('sysctl', 'exit 0');
    stub('id', `case "$1" in -u) echo ${MONITOR_UID};; -gn) echo monitor;; *) exit 1;; esac`);
    // setpriv --reuid=.. --regid=.. --init-groups CMD...: run CMD (the test is not root).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    stub('setpriv', 'while [ "${1#--}" != "$1" ]; do shift; done; exec "$@"');
    // openvpn: record its environment, wait for the monitor to have started, then exit (ending the container).
    stub(
      'openvpn',
      `env > "${out}/openvpn.env"; for i in $(seq 50); do [ -s "${out}/monitor.env" ] && break; sleep 0.1; done; exit 0`,
    );
    stub('monitor', `env > "${out}/monitor.env"; trap 'exit 0' TERM; while true; do sleep 0.1; done`);
    const child = execFile('bash', [ENTRYPOINT], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        TUN_DEVICE: '/dev/null',
        PKI_DIR: join(dir, 'pki'),
        RUN_DIR: join(dir, 'run'),
        OPENVPN_CONFIG: join(dir, 'server.conf'),
        MONITOR_CMD: join(bin, 'monitor'),
        MONITOR_USER: 'monitor',
        MONITOR_STOP_SECONDS: '3',
        OPENVPN_STOP_SECONDS: '1',
        // What ECS gives the container: the task role's endpoint path (and, on some agents, a full URI + token).
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/3f1c7a4e-test',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.2/v2/credentials/3f1c7a4e-test',
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'test-token',
        AWS_REGION: 'us-east-1',
      },
    });
    exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const calls = readFileSync(join(out, 'iptables'), 'utf8').trim().split('\n');
    iptables = calls.map((l) => l.split(' ').filter((w) => w !== '-w'));
    openvpnEnv = readFileSync(join(out, 'openvpn.env'), 'utf8');
    monitorEnv = readFileSync(join(out, 'monitor.env'), 'utf8');
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const chain = () =>
    iptables.filter((r) => r[0] === '-A' && r[1] === 'TUNNELOPS-CREDS').map((r) => r.slice(2));

  it('ran to its end as the container would (openvpn exited, the monitor was stopped)', () => {
    expect(exitCode).toBe(0);
  });

  it('starts openvpn without the task-role credential variables, and the monitor with them', () => {
    for (const v of [
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'AWS_CONTAINER_AUTHORIZATION_TOKEN',
    ]) {
      expect(openvpnEnv).not.toMatch(new RegExp(`^${v}=`, 'm'));
      expect(monitorEnv).toMatch(new RegExp(`^${v}=`, 'm'));
    }
    expect(openvpnEnv).toMatch(/^AWS_REGION=us-east-1$/m);
  });

  it('jumps from OUTPUT to the credential chain first', () => {
    expect(iptables).toContainEqual(['-I', 'OUTPUT', '1', '-j', 'TUNNELOPS-CREDS']);
  });

  it('refuses openvpn (nobody) every credential endpoint: IMDS, 169.254.170.2 (also DNATed) and the agent port', () => {
    const rules = chain();
    expect(verdict(rules, { uid: NOBODY, dst: '169.254.169.254', dport: 80 })).toBe('REJECT');
    expect(verdict(rules, { uid: NOBODY, dst: '169.254.170.2', dport: 80 })).toBe('REJECT');
    expect(verdict(rules, { uid: NOBODY, dst: '127.0.0.1', origDst: '169.254.170.2', dport: 51679 })).toBe(
      'REJECT',
    );
    expect(verdict(rules, { uid: NOBODY, dst: '127.0.0.1', dport: 51679 })).toBe('REJECT');
    // Any other non-root user too.
    expect(verdict(rules, { uid: 1001, dst: '169.254.170.2', dport: 80 })).toBe('REJECT');
    // Everything else of openvpn's is untouched.
    expect(verdict(rules, { uid: NOBODY, dst: '10.20.0.10', dport: 443 })).toBe('none');
  });

  it('lets the monitor reach its task role (not IMDS), and root everything', () => {
    const rules = chain();
    expect(verdict(rules, { uid: MONITOR_UID, dst: '169.254.170.2', dport: 80 })).toBe('RETURN');
    expect(
      verdict(rules, { uid: MONITOR_UID, dst: '127.0.0.1', origDst: '169.254.170.2', dport: 51679 }),
    ).toBe('RETURN');
    expect(verdict(rules, { uid: MONITOR_UID, dst: '169.254.169.254', dport: 80 })).toBe('REJECT');
    expect(verdict(rules, { uid: 0, dst: '169.254.169.254', dport: 80 })).toBe('RETURN');
    expect(verdict(rules, { uid: 0, dst: '169.254.170.2', dport: 80 })).toBe('RETURN');
  });

  it('drops packets from the tunnel to link-local addresses before forwarding anything', () => {
    // Inserted at the head of the chain (also into a chain an older version left with its ACCEPTs).
    expect(iptables).toContainEqual([
      '-I',
      'TUNNELOPS-FWD',
      '1',
      '-i',
      'tun0',
      '-d',
      '169.254.0.0/16',
      '-j',
      'DROP',
    ]);
  });
});
