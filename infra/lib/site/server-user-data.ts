import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { PlacedTunnel } from '../config/resolve-site.js';
import { certPrefix, HOST_PKI_DIR, TUNNEL_ATTRIBUTE } from '../naming.js';

export interface ServerUserDataProps {
  siteName: string;
  placed: PlacedTunnel;
  region: string;
  clusterName: string;
  bucketName: string;
  eipAllocationId: string;
}

/** Files images/openvpn-server/entrypoint.sh requires in its PKI directory. */
export const SERVER_PKI_FILES = ['ca.crt', 'server.crt', 'server.key', 'tls-crypt.key'] as const;

/**
 * Boot script of a tunnel server: fetch this server's own PKI (and nothing else: the role cannot read other
 * prefixes), take its Elastic IP, stop EC2 from dropping forwarded packets, join the ECS cluster with an
 * attribute that pins this tunnel's task here. IMDSv2 only (the launch template requires tokens). The topology
 * is not baked in here (the task carries it), so editing tunnels.yml never replaces an instance.
 */
export function serverUserData(p: ServerUserDataProps): ec2.UserData {
  const ud = ec2.UserData.forLinux();
  const prefix = certPrefix(p.siteName, p.placed.tunnel.name);
  const tunnelId = `${p.siteName}-${p.placed.tunnel.name}`;
  ud.addCommands(
    'set -euo pipefail',
    'dnf install -y --quiet aws-cfn-bootstrap',
    'command -v aws >/dev/null || dnf install -y --quiet awscli-2',
    `export AWS_DEFAULT_REGION=${p.region}`,
    `IMDS_TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')`,
    `INSTANCE_ID=$(curl -sf -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/instance-id)`,
    'install -d -m 0755 /etc/tunnelops',
    `install -d -m 0700 ${HOST_PKI_DIR}`,
    `for f in ${SERVER_PKI_FILES.join(' ')}; do aws s3 cp --only-show-errors "s3://${p.bucketName}/${prefix}$f" "${HOST_PKI_DIR}/$f"; done`,
    `chmod 0600 ${HOST_PKI_DIR}/*`,
    `aws ec2 associate-address --allocation-id ${p.eipAllocationId} --instance-id "$INSTANCE_ID" --allow-reassociation`,
    // The instance forwards between the VPC and the tunnel, so EC2 must not drop packets not addressed to it.
    'aws ec2 modify-instance-attribute --instance-id "$INSTANCE_ID" --no-source-dest-check',
    "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-tunnelops.conf",
    'sysctl -q --system',
    `cat >> /etc/ecs/ecs.config <<'ECSCONFIG'`,
    `ECS_CLUSTER=${p.clusterName}`,
    `ECS_INSTANCE_ATTRIBUTES={"${TUNNEL_ATTRIBUTE}":"${tunnelId}"}`,
    'ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true',
    'ECSCONFIG',
  );
  return ud;
}
