import { type ChildProcess, spawn } from 'node:child_process';
import type { LivenessAddress } from '../../../src/ports/liveness.js';

/** A real process holding a liveness listener (default limits): killing it is the failure the channel exists to notice. */
export async function livenessChild(instance: string): Promise<{ proc: ChildProcess; at: LivenessAddress }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/unit/net/liveness-child.ts', instance], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const at = await new Promise<LivenessAddress>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as LivenessAddress);
    });
    proc.once('exit', (code) => reject(new Error(`liveness child exited early (${code})`)));
  });
  return { proc, at };
}
