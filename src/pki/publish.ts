import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BadRequestError } from '../domain/errors.js';
import { certPrefix, SECRET_FILES } from './names.js';
import { currentRecord } from './pki-state.js';
import { readBounded, type SiteDir, writePublic, writeSecret } from './site-dir.js';
import { trustFiles } from './trust.js';
import * as x509 from './x509.js';

/** Where a server's files go: the site's certificate bucket, or a directory (tests, air-gapped copies). */
export interface PublishTarget {
  put(key: string, body: string, secret: boolean): Promise<void>;
  /** Names the place in messages: s3://bucket/key or a path. */
  where(key: string): string;
}

/** The certificate bucket; every object SSE-KMS (the bucket's key unless --kms-key names one). */
export class S3Target implements PublishTarget {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly kmsKeyId?: string,
  ) {}

  async put(key: string, body: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-pem-file',
        ServerSideEncryption: 'aws:kms',
        ...(this.kmsKeyId ? { SSEKMSKeyId: this.kmsKeyId } : {}),
      }),
    );
  }

  where(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}

/** A local directory with the bucket's layout; secrets 0600 as everywhere. */
export class DirTarget implements PublishTarget {
  constructor(private readonly root: string) {}

  put(key: string, body: string, secret: boolean): Promise<void> {
    return secret ? writeSecret(this.path(key), body) : writePublic(this.path(key), body);
  }

  where(key: string): string {
    return this.path(key);
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }
}

/**
 * What each server reads from its prefix (SERVER_PKI_FILES), in upload order: a server booting mid-publish
 * finds its key no older than its certificate.
 */
export const PUBLISHED_FILES = ['tls-crypt.key', 'server.key', 'server.crt', 'ca.crt', 'crl.pem'] as const;

/**
 * Publishes each tunnel's server set to `<site>/<tunnel>/`. Checks first, for every tunnel, that the server
 * certificate is current, signed by the CA and matches its key, so nothing is published when one is wrong.
 * Needs no CA key. With `alsoTrust` (a CA rollover) ca.crt and crl.pem carry both CAs. Returns the keys written.
 */
export async function publishSite(
  dir: SiteDir,
  tunnels: readonly string[] | undefined,
  target: PublishTarget,
  alsoTrust?: SiteDir,
): Promise<string[]> {
  const state = await dir.readState();
  const ca = await dir.readCa();
  if (!(await dir.readCrl()))
    throw new BadRequestError(`site "${dir.site}" has no CRL: run \`npm run pki -- crl ${dir.site}\``);
  const names = tunnels ?? [...new Set(state.certs.filter((c) => c.role === 'server').map((c) => c.tunnel))];
  if (names.length === 0)
    throw new BadRequestError(
      `site "${dir.site}" has no server certificate: run \`npm run pki -- issue ${dir.site}\``,
    );
  const trust = await trustFiles(dir, alsoTrust);
  const sets: { tunnel: string; files: Record<string, string> }[] = [];
  for (const tunnel of names) {
    const record = currentRecord(state, tunnel, 'server');
    if (!record)
      throw new BadRequestError(
        `tunnel "${tunnel}" of site "${dir.site}" has no current server certificate; nothing published`,
      );
    const serverPem = await readBounded(dir.cert(tunnel, 'server'), 256 * 1024);
    const keyPem = await readBounded(dir.key(tunnel, 'server'), 64 * 1024);
    const cert = new x509.X509Certificate(serverPem);
    if (cert.serialNumber.toUpperCase() !== record.serial)
      throw new BadRequestError(
        `${dir.cert(tunnel, 'server')} is not the certificate state.json records; nothing published`,
      );
    if (!(await cert.verify({ publicKey: ca, signatureOnly: true })))
      throw new BadRequestError(
        `${dir.cert(tunnel, 'server')} is not signed by the site's CA; nothing published`,
      );
    if (!keyMatches(keyPem, cert))
      throw new BadRequestError(
        `${dir.key(tunnel, 'server')} does not match its certificate; nothing published`,
      );
    sets.push({
      tunnel,
      files: {
        'tls-crypt.key': await readBounded(dir.tlsCrypt(tunnel), 8 * 1024),
        'server.key': keyPem,
        'server.crt': serverPem,
        'ca.crt': trust.ca,
        'crl.pem': trust.crl,
      },
    });
  }
  const written: string[] = [];
  for (const { tunnel, files } of sets) {
    for (const name of PUBLISHED_FILES) {
      const key = `${certPrefix(dir.site, tunnel)}${name}`;
      await target.put(key, files[name] ?? '', SECRET_FILES.has(name));
      written.push(target.where(key));
    }
  }
  return written;
}

function keyMatches(keyPem: string, cert: x509.X509Certificate): boolean {
  const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return Buffer.from(cert.publicKey.rawData).equals(fromKey);
}
