/**
 * The pod network of one machine, pure half (the "host-gw" model of flannel; ARCHITECTURE.md
 * "Services, proxy, DNS"): what routes and packet-filter rules the machine needs so that pod IPs
 * are routable cluster-wide.
 *
 *   routes   every OTHER machine's node: `<its podCIDR> via <its InternalIP> proto 157`. The
 *            nodes of this machine need none (their bridges are connected routes), nor does a
 *            node whose address is one of this machine's. Only routes inside the cluster CIDR
 *            and marked with POD_ROUTE_PROTO are ever changed or deleted (several clusters, or
 *            other software, may route on the same machine).
 *   forward  ACCEPT what comes from or goes to the cluster CIDR, in a chain jumped to from
 *            DOCKER-USER, which Docker keeps first in FORWARD: Docker isolates its bridge networks
 *            from each other and drops traffic to unpublished container ports, and pods of
 *            several nodes of a machine, and of other machines, must reach each other on any port.
 *   masq     pods' traffic to outside the cluster CIDR (and not multicast) is masqueraded, in a
 *            chain jumped to from nat POSTROUTING for `-s <cluster CIDR>`; pod-to-pod traffic is
 *            not, so a receiving pod sees the sender's pod IP. (Docker's own masquerading is off
 *            on the pod networks: libs/runtime pod-network.ts.)
 * The chains are named after the cluster CIDR, so the proxies of two clusters on one machine
 * (parallel test runs) keep apart.
 *
 * CONTRACT: pure, IPv4 only, never throws (bad input is left out).
 */
import { createHash } from 'node:crypto';
import type { Node } from '@skiff/api';
import ipaddr from 'ipaddr.js';

/** The route protocol (`ip route ... proto 157`) that marks the keeper's routes. */
export const POD_ROUTE_PROTO = 157;

/** What the keeper needs of a Node. */
export interface NodeRouteView {
  name: string;
  /** spec.podCIDR ('' when unset). */
  podCIDR: string;
  /** status.addresses InternalIP ('' when none). */
  internalIP: string;
}

/** One route to another node's pods. */
export interface PodRoute {
  /** The node's podCIDR, normalised. */
  dst: string;
  /** The node's InternalIP. */
  via: string;
  node: string;
}

/** A route of POD_ROUTE_PROTO as `ip -j route` shows it. */
export interface InstalledRoute {
  dst: string;
  gateway?: string;
}

/** The Node's name, podCIDR and InternalIP. */
export function nodeRouteView(node: Readonly<Node>): NodeRouteView {
  return {
    name: node.metadata?.name ?? '',
    podCIDR: node.spec?.podCIDR ?? '',
    internalIP: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
  };
}

/** "a.b.c.d/p" normalised (host bits cleared); undefined when not an IPv4 CIDR. */
export function normaliseCidr(cidr: string): string | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) return undefined;
  try {
    const [, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    return `${ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()}/${prefix}`;
  } catch {
    return undefined;
  }
}

/** True when `inner` (a CIDR, or an address as /32) lies inside `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = normaliseCidr(inner.includes('/') ? inner : `${inner}/32`);
  const b = normaliseCidr(outer);
  if (!a || !b) return false;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(a);
  const range = ipaddr.IPv4.parseCIDR(b);
  return prefix >= range[1] && address.match(range);
}

export interface DesiredRoutesInput {
  clusterCidr: string;
  nodes: readonly NodeRouteView[];
  /** The nodes of this machine (the proxy's `nodes`). */
  localNodes: ReadonlySet<string>;
  /** This machine's IPv4 addresses. */
  localAddresses: ReadonlySet<string>;
}

/**
 * The routes this machine wants, sorted by destination: one per other node with a podCIDR inside
 * the cluster CIDR and an InternalIP that is not this machine's (nor loopback, nor inside the
 * cluster CIDR). When two nodes claim one podCIDR, the first by name is routed.
 */
export function desiredPodRoutes(input: DesiredRoutesInput): PodRoute[] {
  const byDst = new Map<string, PodRoute>();
  for (const node of [...input.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (input.localNodes.has(node.name)) continue;
    const dst = normaliseCidr(node.podCIDR);
    if (!dst || !cidrWithin(dst, input.clusterCidr) || byDst.has(dst)) continue;
    const via = node.internalIP;
    if (!ipaddr.IPv4.isValidFourPartDecimal(via) || input.localAddresses.has(via)) continue;
    if (ipaddr.IPv4.parse(via).range() === 'loopback' || cidrWithin(via, input.clusterCidr)) continue;
    byDst.set(dst, { dst, via, node: node.name });
  }
  return [...byDst.values()].sort((a, b) => a.dst.localeCompare(b.dst));
}

/** What to change in the routing table. */
export interface RouteChanges {
  /** `ip route replace <dst> via <via> proto 157`. */
  replace: PodRoute[];
  /** `ip route del <dst> proto 157`. */
  remove: string[];
}

/**
 * From the installed POD_ROUTE_PROTO routes to the desired ones: routes outside the cluster CIDR
 * are not ours and left alone; ours not desired are removed; missing or different ones replaced.
 */
export function routeChanges(installed: readonly InstalledRoute[], desired: readonly PodRoute[], clusterCidr: string): RouteChanges {
  const wanted = new Map(desired.map((r) => [r.dst, r]));
  const have = new Map<string, string | undefined>();
  const remove: string[] = [];
  for (const route of installed) {
    const dst = normaliseCidr(route.dst);
    if (!dst || !cidrWithin(dst, clusterCidr)) continue;
    if (!wanted.has(dst) || have.has(dst)) remove.push(dst);
    else have.set(dst, route.gateway);
  }
  const replace = desired.filter((r) => have.get(r.dst) !== r.via);
  return { replace, remove: [...new Set(remove)].sort() };
}

/** The packet-filter rules of the pod network: chains and the jumps into them. */
export interface PodNetworkRules {
  /** filter table: ACCEPT from/to the cluster CIDR. */
  forwardChain: string;
  forwardRules: string[][];
  /** nat table: masquerade pods' traffic leaving the cluster CIDR. */
  masqueradeChain: string;
  masqueradeRules: string[][];
  /** The jump into masqueradeChain from POSTROUTING (without -I/-A/-D). */
  masqueradeJump: string[];
}

const COMMENT = ['-m', 'comment', '--comment'];

/** The rules for `clusterCidr` (normalised); chains named SKIFF-PODFWD-/SKIFF-PODMASQ- plus 8 hex digits of its hash. */
export function podNetworkRules(clusterCidr: string): PodNetworkRules {
  const cidr = normaliseCidr(clusterCidr) ?? clusterCidr;
  const tag = createHash('sha256').update(cidr).digest('hex').slice(0, 8).toUpperCase();
  const masqueradeChain = `SKIFF-PODMASQ-${tag}`;
  return {
    forwardChain: `SKIFF-PODFWD-${tag}`,
    forwardRules: [
      ['-s', cidr, ...COMMENT, 'skiff pod network: from pods', '-j', 'ACCEPT'],
      ['-d', cidr, ...COMMENT, 'skiff pod network: to pods', '-j', 'ACCEPT'],
    ],
    masqueradeChain,
    masqueradeRules: [
      ['-d', cidr, ...COMMENT, 'skiff pod network: pod to pod, no NAT', '-j', 'RETURN'],
      ['-d', '224.0.0.0/4', ...COMMENT, 'skiff pod network: multicast, no NAT', '-j', 'RETURN'],
      [...COMMENT, 'skiff pod network: pods to outside the cluster CIDR', '-j', 'MASQUERADE'],
    ],
    masqueradeJump: ['-s', cidr, ...COMMENT, 'skiff pod network', '-j', masqueradeChain],
  };
}
