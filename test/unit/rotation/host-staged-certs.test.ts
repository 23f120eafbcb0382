import { describe, expect, it } from '@jest/globals';
import { siteSchema } from '../../../src/config/topology-schema.js';
import { HEARTBEAT_NS, heartbeatKey } from '../../../src/domain/heartbeat.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { HostStagedCerts } from '../../../src/services/rotation/host-staged-certs.js';
import { siteInput } from '../../helpers/fakes/site.js';
import { heartbeat } from '../../helpers/heartbeats.js';

describe('HostStagedCerts: the published certificate as the host has installed it, from its monitor', () => {
  it('reads the heartbeat’s staged certificate; none reported, none published', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const site = siteSchema.parse(siteInput());
    const certs = new HostStagedCerts(store);
    expect(await certs.published(site, 'primary')).toBeNull();
    const stagedCert = { serial: '0C01', notAfter: '2027-12-01T00:00:00.000Z' };
    await store.put(
      HEARTBEAT_NS,
      heartbeatKey(site.name, 'primary'),
      { ...heartbeat('primary', 'up', Date.now()), site: site.name, stagedCert },
      60_000,
    );
    expect(await certs.published(site, 'primary')).toEqual(stagedCert);
  });
});
