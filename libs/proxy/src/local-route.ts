/**
 * Makes the service CIDR local on this machine: `ip route replace local <cidr> dev lo`, so that
 * the proxy can bind any ClusterIP and a packet to a ClusterIP never leaves the machine, even when
 * no service owns that address. Idempotent (replace). Needs CAP_NET_ADMIN.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** True for an IPv4 CIDR "a.b.c.d/n" with octets <= 255 and 0 <= n <= 32. */
export function isIPv4Cidr(cidr: string): boolean {
  const m = CIDR.exec(cidr);
  if (!m) return false;
  const nums = m.slice(1).map(Number);
  return nums.slice(0, 4).every((o) => o <= 255) && (nums[4] as number) <= 32;
}

/**
 * Adds (or keeps) the local route for `cidr` on the loopback device. Rejects with an Error naming
 * the command and ip's message when `cidr` is not an IPv4 CIDR or ip fails (no privilege).
 */
export async function ensureLocalRoute(cidr: string, signal?: AbortSignal): Promise<void> {
  if (!isIPv4Cidr(cidr)) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  const args = ['route', 'replace', 'local', cidr, 'dev', 'lo'];
  try {
    await run('ip', args, { signal });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: err });
  }
}
