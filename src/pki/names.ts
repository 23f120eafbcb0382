import { BadRequestError } from '../domain/errors.js';

/** The roles a certificate of a site's PKI plays; the CRL is listed beside them. */
export type CertRole = 'ca' | 'server' | 'client';
export type LeafRole = Exclude<CertRole, 'ca'>;

/** Common names: one certificate per server and per client, so no `duplicate-cn` is ever needed. */
export const caCn = (site: string): string => `tunnelops-${site}-ca`;
export const serverCn = (site: string, tunnel: string): string => `${site}-${tunnel}-server`;
export const clientCn = (site: string, tunnel: string): string => `${site}-${tunnel}-client`;
export const leafCn = (site: string, tunnel: string, role: LeafRole): string =>
  role === 'server' ? serverCn(site, tunnel) : clientCn(site, tunnel);

/** Where a server's own files live in the site's certificate bucket (each instance role reads only its own). */
export const certPrefix = (site: string, tunnel: string): string => `${site}/${tunnel}/`;

/** What a server reads from its prefix: images/openvpn-server/entrypoint.sh requires each of them. */
export const SERVER_PKI_FILES = ['ca.crt', 'server.crt', 'server.key', 'tls-crypt.key', 'crl.pem'] as const;
/** The files of SERVER_PKI_FILES that are secrets (written 0600, uploaded with SSE-KMS like the rest). */
export const SECRET_FILES: ReadonlySet<string> = new Set([
  'server.key',
  'client.key',
  'tls-crypt.key',
  'ca.key',
]);

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Site and tunnel names become file names and bucket prefixes: the topology's own rule, checked here too. */
export function checkName(kind: 'site' | 'tunnel', value: string): string {
  if (!NAME.test(value))
    throw new BadRequestError(
      `${kind} "${value.slice(0, 64)}" is not a name: lowercase letters, digits and dashes, starting with a letter`,
    );
  return value;
}
