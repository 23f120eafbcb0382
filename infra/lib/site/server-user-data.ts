import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SERVER_PKI_FILES } from '../../../src/pki/names.js';
import type { PlacedTunnel } from '../config/resolve-site.js';
import { bootLogGroupName, certPrefix, HOST_PKI_DIR, TUNNEL_ATTRIBUTE } from '../naming.js';

export interface ServerUserDataProps {
  siteName: string;
  placed: PlacedTunnel;
  region: string;
  clusterName: string;
  serviceName: string;
  bucketName: string;
  eipAllocationId: string;
  /** The tunnel's network interface (the routes' target), attached as device 1. */
  eniId: string;
  /** The site's on-prem CIDRs: `unreachable` on this host when the tunnel is down. */
  onPremCidrs: readonly string[];
  /** Where the boot signal goes: this stack and its ASG's logical id. */
  stackName: string;
  asgLogicalId: string;
}

/** Keeps the CRL current on the host (the server container mounts the directory, openvpn rereads the file). */
const CRL_REFRESH_SCRIPT = '/usr/local/sbin/tunnelops-crl-refresh';
const crlRefreshSource = () =>
  readFileSync(
    fileURLToPath(new URL('../../../images/openvpn-server/crl-refresh.sh', import.meta.url)),
    'utf8',
  );
/** Installs a newly published server certificate and key for the server's next start (`/vpn rotate`). */
const CERT_REFRESH_SCRIPT = '/usr/local/sbin/tunnelops-cert-refresh';
const certRefreshSource = () =>
  readFileSync(
    fileURLToPath(new URL('../../../images/openvpn-server/cert-refresh.sh', import.meta.url)),
    'utf8',
  );

/** The host-network setup script, also run by a systemd unit at every later boot (user data runs once). */
const HOST_NET_SCRIPT = '/usr/local/sbin/tunnelops-host-net';
/** Waits until this tunnel serves, then signals the ASG's update (see the readiness step below). */
const READY_SCRIPT = '/usr/local/sbin/tunnelops-ready';
/** The signal is sent before the ASG's 15-minute signal timeout. */
const READY_WAIT_SECONDS = 780;

/**
 * Boot script of a tunnel server, run once per instance (cloud-init). Every AWS call is retried with
 * backoff; packages are installed only if the pinned AMI lacks them. It:
 * - fetches this server's own PKI (the role cannot read other prefixes), keeps its CRL current (a systemd
 *   service polling the bucket every 30 s), and takes its Elastic IP;
 * - attaches the tunnel's network interface (the routes' target), waiting while a terminating predecessor
 *   still holds it, so the routes carry traffic again without anyone touching them;
 * - sets up the host network in a script that also runs at every reboot: forwarding, loose reverse-path
 *   filtering (traffic arrives on the tunnel interface and returns through the primary one), `unreachable`
 *   routes for the on-prem CIDRs (metric 4096, below the tunnel's own routes: when the tun device is down the
 *   host rejects the traffic instead of sending it back into the VPC, which would route it here again), and
 *   instance metadata for root only: the ECS agent, SSM agent and this script are root; openvpn (nobody) and
 *   the monitor (node) run in host-network containers and would otherwise reach IMDS and the instance role.
 *   The monitor's own credentials come from the ECS task-role endpoint (169.254.170.2), not IMDS;
 * - joins the ECS cluster with an attribute that pins this tunnel's task here;
 * - signals the ASG only once this tunnel serves again (its openvpn container healthy), when the service
 *   already exists, so a deploy that replaces this instance finishes (and the next tunnel stack starts) only
 *   when this tunnel can carry traffic; on the stack's first create the service comes after the instance;
 * - ships its own output (cloud-init-output.log) to CloudWatch Logs, one stream per instance.
 * IMDSv2 only (the launch template requires tokens). The topology is not baked in beyond the on-prem CIDRs
 * (the task carries it), so an approvers or probe edit never replaces an instance.
 */
export function serverUserData(p: ServerUserDataProps): ec2.UserData {
  const ud = ec2.UserData.forLinux();
  const prefix = certPrefix(p.siteName, p.placed.tunnel.name);
  const tunnelId = `${p.siteName}-${p.placed.tunnel.name}`;
  const logGroup = bootLogGroupName(p.siteName, p.placed.tunnel.name);
  const signal = (status: string) =>
    `retry aws cloudformation signal-resource --stack-name ${p.stackName} --logical-resource-id ${p.asgLogicalId} --unique-id "$INSTANCE_ID" --status ${status}`;
  ud.addCommands(
    'set -euo pipefail',
    `export AWS_DEFAULT_REGION=${p.region} AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=5`,
    // retry CMD...: up to 8 attempts, 2 s, 4 s, ... capped at 30 s apart.
    'retry() { local n=1; until "$@"; do [ "$n" -ge 8 ] && return 1; sleep $((n * 2 < 30 ? n * 2 : 30)); n=$((n + 1)); done; }',
    `imds() { local t; t=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') && curl -sf -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/meta-data/$1"; }`,
    'INSTANCE_ID=$(retry imds instance-id)',
    // Boot logs: shipped on every exit, success or not, so a failed boot can be read without logging in.
    'ship_logs() {',
    `  aws logs create-log-stream --log-group-name ${logGroup} --log-stream-name "$INSTANCE_ID" 2>/dev/null || true`,
    `  python3 -c 'import json,sys,time; t=int(time.time()*1000); print(json.dumps([{"timestamp":t,"message":l.rstrip()[:8000] or "-"} for l in open(sys.argv[1],errors="replace").readlines()[-5000:]]))' /var/log/cloud-init-output.log > /tmp/tunnelops-boot-events.json`,
    `  retry aws logs put-log-events --log-group-name ${logGroup} --log-stream-name "$INSTANCE_ID" --log-events file:///tmp/tunnelops-boot-events.json >/dev/null || true`,
    '}',
    `on_exit() { rc=$?; if [ "$rc" -ne 0 ]; then ${signal('FAILURE')} || true; fi; ship_logs; }`,
    'trap on_exit EXIT',
    'command -v aws >/dev/null || retry dnf install -y --quiet awscli-2',
    'install -d -m 0755 /etc/tunnelops',
    // 0711: the keys stay 0600 root; the public files are 0644 (below), readable without listing the directory.
    `install -d -m 0711 ${HOST_PKI_DIR}`,
    `for f in ${SERVER_PKI_FILES.join(' ')}; do retry aws s3 cp --only-show-errors "s3://${p.bucketName}/${prefix}$f" "${HOST_PKI_DIR}/$f"; done`,
    `chmod 0600 ${HOST_PKI_DIR}/*`,
    // Public files: openvpn (nobody) rereads the CRL, the monitor (node) reads the expiry dates.
    `chmod 0644 ${HOST_PKI_DIR}/crl.pem ${HOST_PKI_DIR}/ca.crt ${HOST_PKI_DIR}/server.crt`,
    // A CRL published later (a revocation, a fresh next update) reaches this server within a minute, no restart.
    'command -v openssl >/dev/null || retry dnf install -y --quiet openssl',
    ...refresherService({
      script: CRL_REFRESH_SCRIPT,
      source: crlRefreshSource(),
      marker: 'CRLREFRESH',
      unit: 'tunnelops-crl-refresh',
      description: "keep this server's CRL current (a revocation needs no restart)",
      environment: `AWS_DEFAULT_REGION=${p.region} CRL_REFRESH_SECONDS=30`,
      execStart: `${CRL_REFRESH_SCRIPT} ${HOST_PKI_DIR}/crl.pem ${HOST_PKI_DIR}/ca.crt -- aws s3 cp --only-show-errors s3://${p.bucketName}/${prefix}crl.pem -`,
    }),
    // A newly published certificate and key wait on the host for the server's next start (a redeploy by
    // `/vpn rotate`, while it carries no traffic); the monitor reports the one on disk as staged.
    ...refresherService({
      script: CERT_REFRESH_SCRIPT,
      source: certRefreshSource(),
      marker: 'CERTREFRESH',
      unit: 'tunnelops-cert-refresh',
      description: "install this server's newly published certificate for its next start",
      environment: `AWS_DEFAULT_REGION=${p.region} CERT_REFRESH_SECONDS=30`,
      execStart: `${CERT_REFRESH_SCRIPT} ${HOST_PKI_DIR} -- aws s3 cp --only-show-errors s3://${p.bucketName}/${prefix}{} -`,
    }),
    `retry aws ec2 associate-address --allocation-id ${p.eipAllocationId} --instance-id "$INSTANCE_ID" --allow-reassociation`,
    // The instance forwards between the VPC and the tunnel, so EC2 must not drop packets not addressed to it.
    'retry aws ec2 modify-instance-attribute --instance-id "$INSTANCE_ID" --no-source-dest-check',
    // The tunnel's interface: free once a predecessor is gone (its termination hook moves traffic first).
    `ENI=${p.eniId}`,
    'eni_state() { aws ec2 describe-network-interfaces --network-interface-ids "$ENI" --query "NetworkInterfaces[0].[Status,Attachment.InstanceId]" --output text; }',
    'for i in $(seq 1 120); do',
    '  read -r status owner < <(eni_state || echo "unknown -")',
    '  if [ "$owner" = "$INSTANCE_ID" ]; then break; fi',
    '  if [ "$status" = available ]; then aws ec2 attach-network-interface --network-interface-id "$ENI" --instance-id "$INSTANCE_ID" --device-index 1 >/dev/null || true; fi',
    '  [ "$i" -eq 120 ] && { echo "tunnel interface $ENI still not attached (status $status, owner $owner)"; exit 1; }',
    '  sleep 5',
    'done',
    `cat > ${HOST_NET_SCRIPT} <<'HOSTNET'`,
    '#!/bin/bash',
    '# tunnelops: host network of an OpenVPN server (written by the boot script; runs at every boot).',
    'set -eu',
    'sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.default.rp_filter=2',
    ...p.onPremCidrs.map(
      (cidr) => `ip route replace unreachable ${cidr} metric 4096 # on-prem: never back into the VPC`,
    ),
    'iptables -w -C OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT 2>/dev/null \\',
    '  || iptables -w -I OUTPUT 1 -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT',
    'HOSTNET',
    `chmod 0755 ${HOST_NET_SCRIPT}`,
    `cat > /etc/systemd/system/tunnelops-host-net.service <<'UNIT'`,
    '[Unit]',
    'Description=tunnelops host network (forwarding, unreachable on-prem routes, IMDS for root only)',
    'After=network-online.target',
    'Before=docker.service ecs.service',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${HOST_NET_SCRIPT}`,
    'RemainAfterExit=yes',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now tunnelops-host-net.service',
    `cat >> /etc/ecs/ecs.config <<'ECSCONFIG'`,
    `ECS_CLUSTER=${p.clusterName}`,
    `ECS_INSTANCE_ATTRIBUTES={"${TUNNEL_ATTRIBUTE}":"${tunnelId}"}`,
    'ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true',
    'ECSCONFIG',
    `cat > ${READY_SCRIPT} <<READY`,
    '#!/bin/bash',
    '# tunnelops: signal the ASG once this tunnel serves (its openvpn container healthy), or fail in time.',
    'set -u',
    `export AWS_DEFAULT_REGION=${p.region}`,
    'retry() { local n=1; until "\\$@"; do [ "\\$n" -ge 8 ] && return 1; sleep 5; n=\\$((n + 1)); done; }',
    'status=FAILURE',
    `if [ "\\$(aws ecs describe-services --cluster ${p.clusterName} --services ${p.serviceName} --query 'services[0].status' --output text 2>/dev/null)" != ACTIVE ]; then`,
    '  status=SUCCESS # first create: the service is created after this instance',
    'else',
    `  for i in \\$(seq 1 ${READY_WAIT_SECONDS / 10}); do`,
    '    if docker ps -q --filter label=com.amazonaws.ecs.container-name=openvpn --filter health=healthy | grep -q .; then status=SUCCESS; break; fi',
    '    sleep 10',
    '  done',
    'fi',
    `retry aws cloudformation signal-resource --stack-name ${p.stackName} --logical-resource-id ${p.asgLogicalId} --unique-id "$INSTANCE_ID" --status \\$status`,
    'READY',
    `chmod 0755 ${READY_SCRIPT}`,
    `systemd-run --unit tunnelops-ready --no-block ${READY_SCRIPT}`,
  );
  return ud;
}

/** A refresher script written to the host and kept running by systemd (restarted if it ever stops). */
function refresherService(r: {
  script: string;
  source: string;
  marker: string;
  unit: string;
  description: string;
  environment: string;
  execStart: string;
}): string[] {
  return [
    `cat > ${r.script} <<'${r.marker}'`,
    r.source.trimEnd(),
    r.marker,
    `chmod 0755 ${r.script}`,
    `cat > /etc/systemd/system/${r.unit}.service <<'UNIT'`,
    '[Unit]',
    `Description=tunnelops: ${r.description}`,
    'After=network-online.target',
    '[Service]',
    `Environment=${r.environment}`,
    `ExecStart=${r.execStart}`,
    'Restart=always',
    'RestartSec=10',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${r.unit}.service`,
  ];
}
