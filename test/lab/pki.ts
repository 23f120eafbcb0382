import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where one tunnel endpoint finds its files (the layout the images' entrypoints expect in PKI_DIR). */
export interface EndpointPki {
  dir: string;
  commonName: string;
}

export interface TunnelPki {
  server: EndpointPki;
  client: EndpointPki;
}

/** Common names: one certificate per server and per client, so no duplicate-cn is ever needed. */
export const serverCn = (site: string, tunnel: string): string => `${site}-${tunnel}-server`;
export const clientCn = (site: string, tunnel: string): string => `${site}-${tunnel}-client`;

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A throwaway PKI made at run time with openssl (never committed): a CA, a server and a client certificate
 * per tunnel (EKU serverAuth / clientAuth, so remote-cert-tls holds) and a tls-crypt key per tunnel.
 * Each endpoint gets its own directory with ca.crt, <role>.crt, <role>.key and tls-crypt.key.
 */
export async function createTestPki(
  root: string,
  site: string,
  tunnels: readonly string[],
): Promise<Map<string, TunnelPki>> {
  const caDir = join(root, 'ca');
  await mkdir(caDir, { recursive: true });
  // Keys stay root-only; directories are traversable so openvpn can still read its ccd after dropping to nobody.
  await chmod(root, 0o755);
  const caKey = join(caDir, 'ca.key');
  const caCrt = join(caDir, 'ca.crt');
  await openssl([
    'req',
    '-x509',
    '-new',
    ...EC,
    '-keyout',
    caKey,
    '-out',
    caCrt,
    '-days',
    '2',
    '-subj',
    '/CN=tunnelops-lab-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const result = new Map<string, TunnelPki>();
  for (const tunnel of tunnels) {
    const server = await endpoint(root, caKey, caCrt, serverCn(site, tunnel), 'server', 'serverAuth');
    const client = await endpoint(root, caKey, caCrt, clientCn(site, tunnel), 'client', 'clientAuth');
    // One tls-crypt key per tunnel, shared by its two ends only.
    const key = join(root, `${tunnel}-tls-crypt.key`);
    await run('openvpn', ['--genkey', 'tls-crypt', key]);
    for (const e of [server, client]) await copyKey(key, join(e.dir, 'tls-crypt.key'));
    result.set(tunnel, { server, client });
  }
  return result;
}

/** A leaf certificate signed by the test CA, with the EKU its role needs. */
export async function endpoint(
  root: string,
  caKey: string,
  caCrt: string,
  cn: string,
  role: 'server' | 'client',
  eku: 'serverAuth' | 'clientAuth',
): Promise<EndpointPki> {
  const dir = join(root, cn);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const key = join(dir, `${role}.key`);
  const csr = join(dir, `${role}.csr`);
  const ext = join(dir, 'ext.cnf');
  await writeFile(
    ext,
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=${eku}\nsubjectKeyIdentifier=hash\n`,
  );
  await openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCrt,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    join(dir, `${role}.crt`),
    '-extfile',
    ext,
  ]);
  await chmod(key, 0o600);
  await copyKey(caCrt, join(dir, 'ca.crt'));
  return { dir, commonName: cn };
}

async function copyKey(from: string, to: string): Promise<void> {
  await run('cp', [from, to]);
  await chmod(to, 0o600);
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}
