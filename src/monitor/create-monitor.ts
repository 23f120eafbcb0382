import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import type { Site, Topology } from '../config/topology-schema.js';
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
import { HeartbeatReporter, type HeartbeatReporterProps } from './heartbeat-reporter.js';
import { icmpProber } from './icmp-prober.js';
import type { MonitorConfig } from './monitor-config.js';
import { MonitorLoop } from './monitor-loop.js';
import { PeerWatch } from './peer-watch.js';
import { byKind, type Prober } from './probe.js';
import { tcpProber } from './tcp-prober.js';

/** How often the server certificate on disk is re-read (the host's refresher installs a new one every 30 s). */
const STAGED_READ_MS = 30_000;

interface MonitorProps {
  config: MonitorConfig;
  topology: Topology;
  store: Store;
  clock: Clock;
  log: Logger;
  /** Absent: no CloudWatch / EventBridge (heartbeats only). */
  clients?: AwsClients;
  /** The fast path: the failover controller this monitor drives (absent: it only reports). */
  controller?: FastPathController;
}

/** The monitor's pipeline for one tunnel: probers from the config, reporters for where it runs. */
export function createMonitor(props: MonitorProps): { loop: MonitorLoop; stop: () => Promise<void> } {
  const { config, log } = props;
  const site = monitoredSite(config, props.topology);
  // A probe answers within the round or counts as failed, so a dead tunnel's rounds keep the interval.
  const timeoutSeconds = Math.max(0.2, Math.round(site.failover.probeIntervalSeconds * 8) / 10);
  const prober = tunnelProber(config, site, timeoutSeconds);
  // Read first: the heartbeat and the down reason carry its certificate fault (no failover goes onto a tunnel
  // whose certificate stops it).
  const certs = certWatch(props, site);
  certs?.start();
  const certFault = () => certs?.fault() ?? null;
  const served = servedCerts(config);
  const { reporters, metrics } = healthReporters(props, site, certFault, served.ids);
  const peer = peerWatch(props, site, timeoutSeconds);
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
      served.stop();
      await loop.stop();
      certs?.stop();
      await metrics?.stop();
    },
  };
}

/** The site and tunnel the config names, or a ConfigError listing what the topology has. */
function monitoredSite(config: MonitorConfig, topology: Topology): Site {
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
  return site;
}

/** Probes the site's on-prem targets through the tunnel: ping from its source, TCP from its bind address. */
function tunnelProber(config: MonitorConfig, site: Site, timeoutSeconds: number): Prober {
  return byKind({
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
}

/** With a PKI directory: the metric goes to CloudWatch with AWS; the report to the store always. */
function certWatch(props: MonitorProps, site: Site): CertWatch | undefined {
  const { config } = props;
  if (!config.pkiDir) return undefined;
  return new CertWatch({
    pkiDir: config.pkiDir,
    site: site.name,
    tunnel: config.tunnel,
    ...(config.peerCert ? { peerCertPath: config.peerCert } : {}),
    ...(props.clients ? { client: props.clients.cloudwatch(site.region) } : {}),
    store: props.store,
    clock: props.clock,
    log: props.log,
  });
}

type ServedCertIds = Pick<HeartbeatReporterProps, 'serverCert' | 'stagedCert'>;

/**
 * The server certificate in play and the one staged for its next start, for the heartbeat (what a rotation
 * waits for). The server's entrypoint starts openvpn and this monitor together, so the certificate read now is
 * the one openvpn loaded; a rotation waits for the published one to show up here.
 */
function servedCerts(config: MonitorConfig): { ids: ServedCertIds; stop: () => void } {
  const certFile = config.pkiDir ? join(config.pkiDir, 'server.crt') : undefined;
  const serverCert = certFile ? certIdOfFile(certFile) : undefined;
  if (!certFile || !serverCert) return { ids: {}, stop: () => {} };
  // What the next start would load: the host's refresher may have put a newly published certificate there.
  let stagedCert = serverCert;
  const staged = setInterval(() => {
    stagedCert = certIdOfFile(certFile) ?? stagedCert;
  }, STAGED_READ_MS);
  staged.unref();
  return {
    ids: { serverCert: () => serverCert, stagedCert: () => stagedCert },
    stop: () => clearInterval(staged),
  };
}

/**
 * Where each round goes: the heartbeat always, CloudWatch and EventBridge with AWS, and the fast path when this
 * monitor drives one. `metrics` is returned to be flushed at stop.
 */
function healthReporters(
  props: MonitorProps,
  site: Site,
  certFault: () => string | null,
  served: ServedCertIds,
): { reporters: HealthReporter[]; metrics: CloudWatchReporter | undefined } {
  const { config, log } = props;
  // A heartbeat every round: the peer calls this monitor silent after `fall` rounds without one, and each
  // heartbeat carries this round's view of the peer host for whichever decider runs next.
  const heartbeats = new HeartbeatReporter({ store: props.store, log, intervalMs: 0, certFault, ...served });
  const reporters: HealthReporter[] = [heartbeats];
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
  // After the heartbeat: the controller reads this round's heartbeat (and peer view) from the store, and is
  // handed this tunnel's own newest heartbeat besides, should that write be late or have failed.
  if (props.controller)
    reporters.push(
      new FastPathReporter({
        controller: props.controller,
        clock: props.clock,
        log,
        ownHeartbeat: (round) => heartbeats.beatOf(round),
      }),
    );
  return { reporters, metrics };
}

/** With the peer's VPC address: probes the peer host every round, for peer detection. */
function peerWatch(props: MonitorProps, site: Site, timeoutSeconds: number): PeerWatch | undefined {
  const { config } = props;
  if (!config.peerHost) return undefined;
  return new PeerWatch({
    site,
    peerTunnel: site.tunnels.find((t) => t.name !== config.tunnel)!.name,
    host: config.peerHost,
    // Over the VPC side, not through the tunnel: no source address.
    prober: icmpProber({ commandPrefix: config.probePrefix, timeoutSeconds }),
    store: props.store,
    clock: props.clock,
    log: props.log,
  });
}
