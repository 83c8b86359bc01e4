/**
 * The pure half of node IPAM (Kubernetes' nodeipam range allocator, pkg/controller/nodeipam/ipam):
 * the cluster CIDR cut into node-sized subnets, and which one a Node gets.
 *
 *   cluster CIDR 10.244.0.0/16, node mask 24  ->  256 subnets 10.244.0.0/24 ... 10.244.255.0/24
 *
 * A subnet is occupied by the Nodes whose spec.podCIDR is exactly it (aligned, of the node mask
 * size, inside the cluster CIDR). When two Nodes claim one subnet, the older Node (creation time,
 * then name) owns it and the other is "not available" (Kubernetes' CIDRNotAvailable event); a
 * podCIDR outside the cluster CIDR or of another size is "not available" as well and left alone.
 * A Node without one gets the lowest free subnet. Nothing here remembers anything: after a
 * restart the occupancy is rebuilt from the Nodes, and a deleted Node's subnet is free again as
 * soon as it is gone from the list.
 *
 * CONTRACT: pure, IPv4 only. parseClusterCidr throws on bad configuration; the rest never throws.
 */
import ipaddr from 'ipaddr.js';

/** The cluster CIDR and node mask size, as configured (runControllerManager's nodeIpam). */
export interface NodeIpamConfig {
  /** e.g. "10.244.0.0/16". */
  clusterCidr: string;
  /** Prefix length of each node's subnet, e.g. 24. */
  nodeCidrMaskSize: number;
}

/** Kubernetes' defaults: --cluster-cidr 10.244.0.0/16 (flannel's), --node-cidr-mask-size 24. */
export const DEFAULT_NODE_IPAM: NodeIpamConfig = { clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24 };

/** A parsed cluster CIDR. */
export interface ClusterCidrRange {
  /** Normalised "a.b.c.d/p". */
  cidr: string;
  /** The network address as an unsigned number. */
  base: number;
  prefix: number;
  maskSize: number;
  /** Number of node subnets. */
  count: number;
}

function toNumber(address: ipaddr.IPv4): number {
  return address.octets.reduce((n, o) => n * 256 + o, 0);
}

function toDotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 "a.b.c.d/p" as [address number, prefix]; undefined when it is not one. */
function parseIPv4Cidr(cidr: string): [number, number] | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) return undefined;
  try {
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    return [toNumber(address), prefix];
  } catch {
    return undefined;
  }
}

/**
 * Parses the configuration. Throws an Error naming the value when the cluster CIDR is not an IPv4
 * CIDR, has host bits set, or the mask size is not between its prefix and 30 (a node's subnet
 * needs a gateway and pod addresses); at most 2^16 subnets.
 */
export function parseClusterCidr(config: NodeIpamConfig): ClusterCidrRange {
  const parsed = parseIPv4Cidr(config.clusterCidr);
  if (!parsed) throw new Error(`invalid cluster CIDR ${JSON.stringify(config.clusterCidr)}: must be an IPv4 CIDR`);
  const [base, prefix] = parsed;
  if (base % 2 ** (32 - prefix) !== 0) throw new Error(`invalid cluster CIDR ${config.clusterCidr}: host bits are set`);
  const mask = config.nodeCidrMaskSize;
  if (!Number.isInteger(mask) || mask < prefix || mask > 30) throw new Error(`invalid node CIDR mask size ${mask}: must be between ${prefix} and 30 for cluster CIDR ${config.clusterCidr}`);
  if (mask - prefix > 16) throw new Error(`node CIDR mask size ${mask} cuts ${config.clusterCidr} into more than 65536 subnets`);
  return { cidr: `${toDotted(base)}/${prefix}`, base, prefix, maskSize: mask, count: 2 ** (mask - prefix) };
}

/** The i-th node subnet of the range ("10.244.3.0/24" for i 3 of 10.244.0.0/16 with mask 24). */
export function subnetAt(range: ClusterCidrRange, index: number): string {
  return `${toDotted(range.base + index * 2 ** (32 - range.maskSize))}/${range.maskSize}`;
}

/** The index of `podCIDR` among the range's subnets; undefined when it is not exactly one of them. */
export function subnetIndex(range: ClusterCidrRange, podCIDR: string): number | undefined {
  const parsed = parseIPv4Cidr(podCIDR);
  if (!parsed) return undefined;
  const [address, prefix] = parsed;
  const size = 2 ** (32 - range.maskSize);
  if (prefix !== range.maskSize || address % size !== 0) return undefined;
  const index = (address - range.base) / size;
  return index >= 0 && index < range.count ? index : undefined;
}

/** What the allocator needs of a Node. */
export interface NodeCidrView {
  name: string;
  /** spec.podCIDR ('' when unset). */
  podCIDR: string;
  /** metadata.creationTimestamp in ms (0 when unknown). */
  createdAt: number;
}

export type NodeCidrDecision =
  /** The node's podCIDR is its own: nothing to do. */
  | { kind: 'keep' }
  /** Set spec.podCIDR to this. */
  | { kind: 'assign'; podCIDR: string }
  /** The node's podCIDR cannot be occupied (outside the range, wrong size, or an older node's). */
  | { kind: 'unavailable'; message: string }
  /** No free subnet is left. */
  | { kind: 'full'; message: string };

/** Older first: creation time, then name. */
function older(a: NodeCidrView, b: NodeCidrView): number {
  return a.createdAt - b.createdAt || a.name.localeCompare(b.name);
}

/**
 * The owner of each occupied subnet index: the oldest node claiming it, or a pending assignment
 * (`pending`: node name -> podCIDR the allocator wrote but the node list does not show yet) of a
 * node still listed.
 */
export function occupancy(range: ClusterCidrRange, nodes: readonly NodeCidrView[], pending: ReadonlyMap<string, string> = new Map()): Map<number, string> {
  const owners = new Map<number, string>();
  const listed = new Set(nodes.map((n) => n.name));
  for (const node of [...nodes].sort(older)) {
    const index = node.podCIDR ? subnetIndex(range, node.podCIDR) : undefined;
    if (index !== undefined && !owners.has(index)) owners.set(index, node.name);
  }
  for (const [name, cidr] of pending) {
    const index = subnetIndex(range, cidr);
    if (index !== undefined && listed.has(name) && !owners.has(index)) owners.set(index, name);
  }
  return owners;
}

/**
 * What to do about node `name` (which must be in `nodes`, the whole node list): keep its podCIDR,
 * assign the lowest free subnet, or report why it cannot have what it claims or anything at all.
 */
export function decideNodeCidr(range: ClusterCidrRange, name: string, nodes: readonly NodeCidrView[], pending: ReadonlyMap<string, string> = new Map()): NodeCidrDecision {
  const node = nodes.find((n) => n.name === name);
  const owners = occupancy(range, nodes, pending);
  const claimed = node?.podCIDR || pending.get(name) || '';
  if (claimed) {
    const index = subnetIndex(range, claimed);
    if (index === undefined) {
      return { kind: 'unavailable', message: `Node ${name} podCIDR ${claimed} is not a /${range.maskSize} of the cluster CIDR ${range.cidr}` };
    }
    const owner = owners.get(index);
    if (owner !== name) return { kind: 'unavailable', message: `Node ${name} podCIDR ${claimed} is already allocated to node ${owner}` };
    return node?.podCIDR ? { kind: 'keep' } : { kind: 'assign', podCIDR: claimed };
  }
  for (let i = 0; i < range.count; i++) {
    if (!owners.has(i)) return { kind: 'assign', podCIDR: subnetAt(range, i) };
  }
  return { kind: 'full', message: `Node ${name}: no remaining /${range.maskSize} in the cluster CIDR ${range.cidr} (${range.count} allocated)` };
}
