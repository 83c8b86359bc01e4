/**
 * The service CIDR (--service-cluster-ip-range, default 10.96.0.0/16) as plain numbers: parsing,
 * membership and the addresses that dynamic allocation hands out. Pure; IPv4 only.
 *
 * As in Kubernetes, the network and broadcast addresses are never allocated, and dynamic
 * allocation skips the first address (.1, the `kubernetes` service's) and the tenth (.10, the
 * cluster DNS service's conventional address) so that those can always be requested.
 */

export interface ServiceIpRange {
  /** The CIDR as given, normalised ("10.96.0.0/16"). */
  cidr: string;
  /** The network address as an unsigned 32-bit number. */
  base: number;
  /** Number of addresses in the CIDR (network and broadcast included). */
  size: number;
}

/** Offsets from the network address that dynamic allocation never returns (they may be requested). */
export const RESERVED_OFFSETS: readonly number[] = [1, 10];

/** The IPv4 address "a.b.c.d" as an unsigned number; undefined when it is not one. */
export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

/** The dotted form of an unsigned 32-bit number. */
export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parses "a.b.c.d/p" (p from 8 to 30: a range needs usable addresses). Host bits set in the
 * address are an error, as in Kubernetes' flag parsing. Throws Error naming the problem.
 */
export function parseServiceIpRange(cidr: string): ServiceIpRange {
  const [address, prefixText, ...rest] = cidr.trim().split('/');
  const base = ipToNumber(address ?? '');
  const prefix = Number(prefixText);
  if (base === undefined || rest.length || !/^[0-9]+$/.test(prefixText ?? '') || prefix < 8 || prefix > 30) {
    throw new Error(`invalid service CIDR "${cidr}": want an IPv4 network a.b.c.d/p with p from 8 to 30`);
  }
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`invalid service CIDR "${cidr}": host bits are set (the network is ${numberToIp(base - (base % size))}/${prefix})`);
  return { cidr: `${address}/${prefix}`, base, size };
}

/** True when ip is an address of the range that a service may hold (not the network or broadcast address). */
export function ipInRange(range: ServiceIpRange, ip: string): boolean {
  const n = ipToNumber(ip);
  if (n === undefined) return false;
  const offset = n - range.base;
  return offset >= 1 && offset <= range.size - 2;
}

/** Number of addresses dynamic allocation may return. */
export function dynamicIpCount(range: ServiceIpRange): number {
  return range.size - 2 - RESERVED_OFFSETS.filter((o) => o <= range.size - 2).length;
}

/**
 * A free address for dynamic allocation: starting at a random usable offset (`random(n)` returns
 * an integer in [0, n)), the first one that is neither reserved nor in `taken`; undefined when
 * the range is full.
 */
export function pickFreeIp(range: ServiceIpRange, taken: ReadonlySet<string>, random: (n: number) => number): string | undefined {
  const usable = range.size - 2; // offsets 1 .. size-2
  const start = random(usable);
  for (let i = 0; i < usable; i++) {
    const offset = 1 + ((start + i) % usable);
    if (RESERVED_OFFSETS.includes(offset)) continue;
    const ip = numberToIp(range.base + offset);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}
