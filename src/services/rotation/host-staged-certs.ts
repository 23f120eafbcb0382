import type { Site } from '../../config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../domain/heartbeat.js';
import type { CertId } from '../../domain/rotation-plan.js';
import type { PublishedServerCerts } from '../../ports/server-certs.js';
import type { Store } from '../../ports/store.js';

/**
 * The published certificate as each server host has it: its refresher (images/openvpn-server/cert-refresh.sh)
 * installs a newly published pair from the bucket, and its monitor reports the certificate on disk in its
 * heartbeat. So the bot needs no access to the certificate bucket at all.
 */
export class HostStagedCerts implements PublishedServerCerts {
  constructor(private readonly store: Store) {}

  async published(site: Site, tunnel: string): Promise<CertId | null> {
    const beat = await this.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(site.name, tunnel));
    return beat?.value.stagedCert ?? null;
  }
}
