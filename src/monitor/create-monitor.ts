import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import type { Topology } from '../config/topology-schema.js';
import { ConfigError } from '../domain/errors.js';
import { findSite, findTunnel } from '../domain/topology.js';
import type { Logger } from '../log.js';
import { certIdOfFile } from '../pki/cert-id.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { CertWatch } from './cert-watch.js';
import { CloudWatchReporter } from './cloudwatch-reporter.js';
import { EventBridgeReporter } from './eventbridge-reporter.js';
import { type FastPathController, FastPathReporter } from './fast-path-reporter.js';
import { CompositeReporter, type HealthReporter } from './health-reporter.js';
import { HeartbeatReporter } from './heartbeat-reporter.js';
import { icmpProber } from './icmp-prober.js';
import type { MonitorConfig } from './monitor-config.js';
import { MonitorLoop } from './monitor-loop.js';
import { PeerWatch } from './peer-watch.js';
import { byKind } from './probe.js';
import { tcpProber } from './tcp-prober.js';

/** How often the server certificate on disk is re-read (the host's refresher installs a new one every 30 s). */
const STAGED_READ_MS = 30_000;

/** The monitor's pipeline for one tunnel: probers from the config, reporters for where it runs. */
// length: not split yet (issue 19 follow-up: one step of this function per helper)
export function createMonitor(props: {
  config: MonitorConfig;
  topology: Topology;
  store: Store;
  clock: Clock;
  log: Logger;
  /** Absent: no CloudWatch / EventBridge (heartbeats only). */
  clients?: AwsClients;
  /** The fast path: the failover controller this monitor drives (absent: it only reports). */
  controller?: FastPathController;
}): { loop: MonitorLoop; stop: () => Promise<void> } {
  const { config, topology, log } = props;
  const site = findSite(topology, config.site);
  if (!site)
    throw new ConfigError(
      `monitor: no site "${config.site}" in the topology (sites: ${topology.sites.map((s) => s.name).join(', ')})`,
    );
  if (!findTunnel(site, config.tunnel)) {
    throw new ConfigError(
      `monitor: site ${site.name} has no tunnel "${config.tunnel}" (tunnels: ${site.tunnels.map((t) => t.name).join(', ')})`,
    );
  }
  // A probe answers within the round or counts as failed, so a dead tunnel's rounds keep the interval.
  const timeoutSeconds = Math.max(0.2, Math.round(site.failover.probeIntervalSeconds * 8) / 10);
  const prober = byKind({
    icmp: icmpProber({
      commandPrefix: config.probePrefix,
      ...(config.source ? { source: config.source } : {}),
      timeoutSeconds,
    }),
    tcp: tcpProber({
      timeoutMs: Math.max(200, site.failover.probeIntervalSeconds * 1000 - 100),
      ...(config.tcpBind ? { localAddress: config.tcpBind } : {}),
    }),
  });
  // Read first: the heartbeat and the down reason carry its certificate fault (no failover goes onto a tunnel
  // whose certificate stops it). The metric goes to CloudWatch with AWS; the report to the store always.
  const certs = config.pkiDir
    ? new CertWatch({
        pkiDir: config.pkiDir,
        site: site.name,
        tunnel: config.tunnel,
        ...(config.peerCert ? { peerCertPath: config.peerCert } : {}),
        ...(props.clients ? { client: props.clients.cloudwatch(site.region) } : {}),
        store: props.store,
        clock: props.clock,
        log,
      })
    : undefined;
  certs?.start();
  const certFault = () => certs?.fault() ?? null;
  // A heartbeat every round: the peer calls this monitor silent after `fall` rounds without one, and each
  // heartbeat carries this round's view of the peer host for whichever decider runs next.
  // The server's entrypoint starts openvpn and this monitor together, so the certificate read now is the one
  // openvpn loaded; a rotation waits for the published one to show up here.
  const certFile = config.pkiDir ? join(config.pkiDir, 'server.crt') : undefined;
  const serverCert = certFile ? certIdOfFile(certFile) : undefined;
  // What the next start would load: the host's refresher may have put a newly published certificate there.
  let stagedCert = serverCert;
  const staged = certFile
    ? setInterval(() => {
        stagedCert = certIdOfFile(certFile) ?? stagedCert;
      }, STAGED_READ_MS)
    : undefined;
  staged?.unref();
  const reporters: HealthReporter[] = [
    new HeartbeatReporter({
      store: props.store,
      log,
      intervalMs: 0,
      certFault,
      ...(serverCert ? { serverCert: () => serverCert, stagedCert: () => stagedCert } : {}),
    }),
  ];
  let metrics: CloudWatchReporter | undefined;
  if (props.clients) {
    metrics = new CloudWatchReporter({
      client: props.clients.cloudwatch(site.region),
      log,
      flushIntervalMs: config.flushSeconds * 1000,
    });
    metrics.start();
    reporters.push(
      metrics,
      new EventBridgeReporter({
        client: props.clients.eventbridge(site.region),
        log,
        ...(config.eventBus ? { eventBusName: config.eventBus } : {}),
      }),
    );
  }
  // After the heartbeat: the controller reads this round's heartbeat (and peer view) from the store.
  if (props.controller)
    reporters.push(new FastPathReporter({ controller: props.controller, clock: props.clock, log }));
  const peerTunnel = site.tunnels.find((t) => t.name !== config.tunnel)!.name;
  const peer = config.peerHost
    ? new PeerWatch({
        site,
        peerTunnel,
        host: config.peerHost,
        // Over the VPC side, not through the tunnel: no source address.
        prober: icmpProber({ commandPrefix: config.probePrefix, timeoutSeconds }),
        store: props.store,
        clock: props.clock,
        log,
      })
    : undefined;
  const loop = new MonitorLoop({
    site,
    tunnel: config.tunnel,
    prober,
    reporter: new CompositeReporter(reporters),
    clock: props.clock,
    log,
    certFault,
    ...(peer ? { peer } : {}),
  });
  return {
    loop,
    stop: async () => {
      clearInterval(staged);
      await loop.stop();
      certs?.stop();
      await metrics?.stop();
    },
  };
}
