import { accessSync, constants } from 'node:fs';
import { status } from './netns.js';

const TOOLS = ['ip', 'openvpn', 'iptables', 'ping', 'iperf3', 'openssl'];

/** Why the lab cannot run on this machine (empty when it can): it needs root, /dev/net/tun and the tools. */
export async function labRequirementProblems(): Promise<string[]> {
  const problems: string[] = [];
  if (process.platform !== 'linux')
    problems.push(`network namespaces need Linux (this is ${process.platform})`);
  if (process.getuid?.() !== 0)
    problems.push('it must run as root (network namespaces, tun devices, iptables)');
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    problems.push('/dev/net/tun is not available');
  }
  const missing: string[] = [];
  for (const tool of TOOLS) if ((await status('sh', ['-c', `command -v ${tool}`])) !== 0) missing.push(tool);
  if (missing.length) {
    problems.push(
      `missing ${missing.join(', ')} (apt-get install -y openvpn iproute2 iptables iputils-ping iperf3 openssl)`,
    );
  }
  return problems;
}
