import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeLab } from './describe-lab.js';
import { SERVER_ENTRYPOINT } from './lab-processes.js';
import { deleteNamespace, sh, status } from './netns.js';

/**
 * Issue 22 item 4, for real: the server entrypoint's rules in a network namespace with real iptables, the ECS
 * agent's DNAT of 169.254.170.2 to its local port, and listeners standing in for the credential endpoints.
 * openvpn's user (nobody) is refused every endpoint; the monitor's user reaches the task-role endpoint only;
 * root reaches all. (openvpn itself is a stand-in here: what is tested is what its uid can connect to.)
 */
const NS = `tocreds${process.pid}`;
const MONITOR_UID = 4242;
const NOBODY = 65534;

describeLab('server image: credential endpoints for root and the monitor only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-creds-'));
  const bin = join(dir, 'bin');
  let entrypoint: ChildProcess | undefined;
  let listeners: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;

  /** curl's exit status connecting as `uid` from inside the namespace (0: connected and answered). */
  const connectAs = (uid: number, url: string) =>
    status('ip', [
      'netns',
      'exec',
      NS,
      'setpriv',
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-m',
      '3',
      url,
    ]);

  beforeAll(async () => {
    mkdirSync(bin);
    mkdirSync(join(dir, 'pki'));
    mkdirSync(join(dir, 'run'));
    for (const f of ['ca.crt', 'server.crt', 'server.key', 'tls-crypt.key', 'crl.pem'])
      writeFileSync(join(dir, 'pki', f), 'test');
    writeFileSync(join(dir, 'server.conf'), '# stand-in\n');
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub('id', `case "$1" in -u) echo ${MONITOR_UID};; -gn) echo root;; *) exit 1;; esac`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    stub('setpriv', 'while [ "${1#--}" != "$1" ]; do shift; done; exec "$@"');
    // openvpn stand-in: says it runs, then lives until the test is done.
    stub('openvpn', `touch "${dir}/ready"; while [ ! -e "${dir}/stop" ]; do sleep 0.1; done`);
    stub('monitor', `trap 'exit 0' TERM; while true; do sleep 0.1; done`);

    await sh('ip', ['netns', 'add', NS]);
    await sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    for (const a of ['169.254.169.254/32', '169.254.170.2/32'])
      await sh('ip', ['-n', NS, 'addr', 'add', a, 'dev', 'lo']);
    // What the ECS agent sets up on an instance: the task-role endpoint is its own port on loopback.
    await sh('ip', [
      'netns',
      'exec',
      NS,
      'iptables',
      '-w',
      '-t',
      'nat',
      '-A',
      'OUTPUT',
      '-d',
      '169.254.170.2/32',
      '-p',
      'tcp',
      '--dport',
      '80',
      '-j',
      'DNAT',
      '--to-destination',
      '127.0.0.1:51679',
    ]);
    // Stand-ins for IMDS and the agent: answer any connection with a minimal HTTP response.
    const serve = `
import socket, threading
def serve(host, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.recv(4096); c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}"); c.close()
for h, p in (("169.254.169.254", 80), ("127.0.0.1", 51679)):
    threading.Thread(target=serve, args=(h, p), daemon=True).start()
open("${dir}/listening", "w").close()
threading.Event().wait()
`;
    listeners = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', serve], { stdio: 'ignore' });
    entrypoint = spawn('ip', ['netns', 'exec', NS, 'bash', SERVER_ENTRYPOINT], {
      stdio: 'ignore',
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        TUN_DEVICE: '/dev/net/tun',
        PKI_DIR: join(dir, 'pki'),
        RUN_DIR: join(dir, 'run'),
        OPENVPN_CONFIG: join(dir, 'server.conf'),
        MONITOR_CMD: join(bin, 'monitor'),
        MONITOR_STOP_SECONDS: '2',
        OPENVPN_STOP_SECONDS: '1',
      },
    });
    exited = new Promise((resolve) => entrypoint!.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && !(existsSync(join(dir, 'ready')) && existsSync(join(dir, 'listening'))); i++)
      await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(join(dir, 'ready'))) throw new Error('the entrypoint did not start openvpn');
  }, 30_000);

  afterAll(async () => {
    writeFileSync(join(dir, 'stop'), '');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
    entrypoint?.kill('SIGKILL');
    listeners?.kill('SIGKILL');
    await deleteNamespace(NS);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses openvpn's user the task-role endpoint (through the agent's DNAT), the agent port and IMDS", async () => {
    expect(await connectAs(NOBODY, 'http://169.254.170.2/v2/credentials/x')).not.toBe(0);
    expect(await connectAs(NOBODY, 'http://127.0.0.1:51679/v2/credentials/x')).not.toBe(0);
    expect(await connectAs(NOBODY, 'http://169.254.169.254/latest/api/token')).not.toBe(0);
    // Any other unprivileged user as well.
    expect(await connectAs(1001, 'http://169.254.170.2/v2/credentials/x')).not.toBe(0);
  });

  it('lets the monitor reach its task role but not IMDS, and root reach both', async () => {
    expect(await connectAs(MONITOR_UID, 'http://169.254.170.2/v2/credentials/x')).toBe(0);
    expect(await connectAs(MONITOR_UID, 'http://169.254.169.254/latest/api/token')).not.toBe(0);
    expect(await connectAs(0, 'http://169.254.170.2/v2/credentials/x')).toBe(0);
    expect(await connectAs(0, 'http://169.254.169.254/latest/api/token')).toBe(0);
  });
});
