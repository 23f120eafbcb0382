import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Site } from '../config/topology-schema.js';
import type { CertId } from '../domain/rotation-plan.js';
import { certIdOf } from '../pki/cert-id.js';
import { certPrefix } from '../pki/names.js';
import type { PublishedServerCerts } from '../ports/server-certs.js';

const MAX_PEM_BYTES = 64 * 1024;

/**
 * The server certificates `npm run pki -- publish <site> --dir <root>` wrote: `<root>/<site>/<tunnel>/server.crt`,
 * the bucket's layout. The sandbox's stand-in for the certificate bucket, and the lab's.
 */
export class DirPublishedCerts implements PublishedServerCerts {
  constructor(private readonly root: string) {}

  async published(site: Site, tunnel: string): Promise<CertId | null> {
    const path = join(this.root, ...certPrefix(site.name, tunnel).split('/'), 'server.crt');
    const size = await stat(path).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) return null;
    if (size > MAX_PEM_BYTES) throw new Error(`${path} is larger than ${MAX_PEM_BYTES} bytes`);
    return certIdOf(await readFile(path, 'utf8'));
  }
}
