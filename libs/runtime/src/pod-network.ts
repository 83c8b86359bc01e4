/**
 * The node's pod network on Docker, pure half: the bridge network a node's sandboxes attach to,
 * with exactly the node's spec.podCIDR as its subnet (gateway: the first address), so that pod IPs
 * come from the podCIDR and are unique cluster-wide (the "host-gw" model of flannel; see
 * ARCHITECTURE.md "Services, proxy, DNS").
 *
 * Docker options, found by experiment with dockerd 20.10 (Debian's) and chosen to hold on 28:
 *   - com.docker.network.bridge.enable_ip_masquerade=false: Docker would otherwise masquerade
 *     everything leaving the bridge (`-s <subnet> ! -o <bridge> -j MASQUERADE`), so a pod on
 *     another bridge or machine would see the node's address instead of the sender's pod IP.
 *     Traffic from pods to outside the cluster CIDR is masqueraded by the proxy's pod-network
 *     keeper instead (libs/proxy pod-network), which leaves pod-to-pod traffic alone.
 *   - com.docker.network.bridge.gateway_mode_ipv4=nat-unprotected: Docker 28 drops routed traffic
 *     to container ports that are not published (gateway mode "nat"); pods must be reachable on
 *     every port from other pods and nodes. Docker before 28 ignores the option.
 *   - Docker isolates bridge networks from each other (DOCKER-ISOLATION-STAGE-1/2 in FORWARD) and
 *     leaves FORWARD's policy at DROP for traffic entering a bridge on an unpublished port; no
 *     network option lifts that. The keeper's ACCEPT rules for the cluster CIDR in DOCKER-USER
 *     (which Docker keeps first in FORWARD) let pod traffic pass between the bridges of several
 *     nodes on one machine and in from other machines.
 *   - com.docker.network.bridge.name: a name of at most 15 characters (a Linux interface name),
 *     "skiff" + 10 hex digits of the node name's hash.
 * The network carries the node label (io.skiff.node=<node>) and the runtime's extra labels, so
 * that cleanup by label removes it with the node's containers.
 *
 * CONTRACT: pure; podNetworkSpec throws an Error naming the value for a podCIDR that is not an
 * IPv4 CIDR with room for a gateway and a pod.
 */
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { LABEL } from './labels';

/** What the runtime creates for a node's pod network. */
export interface PodNetworkSpec {
  /** Docker network name: "skiff-<node>". */
  name: string;
  /** Linux bridge interface name (<= 15 characters). */
  bridge: string;
  /** The node's podCIDR, normalised ("10.244.1.0/24"). */
  subnet: string;
  /** The bridge's address: the subnet's first ("10.244.1.1"). */
  gateway: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

/** The Engine API's NetworkCreate body for `spec`. */
export interface DockerNetworkCreateBody {
  Name: string;
  Driver: 'bridge';
  CheckDuplicate: boolean;
  IPAM: { Driver: 'default'; Config: { Subnet: string; Gateway: string }[] };
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The fields of a network inspect Skiff reads. */
export interface DockerNetworkInspect {
  Id: string;
  Name: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
  Options?: Record<string, string> | null;
  Containers?: Record<string, unknown> | null;
}

/** The bridge interface name of `nodeName`'s pod network. */
export function podBridgeName(nodeName: string): string {
  return `skiff${createHash('sha256').update(nodeName).digest('hex').slice(0, 10)}`;
}

/** The Docker network of `nodeName` with subnet `podCIDR` (see the module comment). */
export function podNetworkSpec(nodeName: string, podCIDR: string, extraLabels: Readonly<Record<string, string>> = {}): PodNetworkSpec {
  let network: ipaddr.IPv4;
  let prefix: number;
  try {
    const parsed = ipaddr.IPv4.parseCIDR(podCIDR);
    [network, prefix] = [ipaddr.IPv4.networkAddressFromCIDR(podCIDR), parsed[1]];
  } catch (err) {
    throw new Error(`invalid pod CIDR ${JSON.stringify(podCIDR)}: must be an IPv4 CIDR`, { cause: err });
  }
  if (prefix > 30) throw new Error(`pod CIDR ${podCIDR} is too small: at most /30`);
  const octets = [...network.octets];
  octets[3] += 1;
  const bridge = podBridgeName(nodeName);
  return {
    name: `skiff-${nodeName}`,
    bridge,
    subnet: `${network.toString()}/${prefix}`,
    gateway: octets.join('.'),
    labels: { ...extraLabels, [LABEL.managed]: 'true', [LABEL.node]: nodeName },
    options: {
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
      'com.docker.network.bridge.gateway_mode_ipv4': 'nat-unprotected',
    },
  };
}

/** The create body of `spec`. */
export function networkCreateBody(spec: PodNetworkSpec): DockerNetworkCreateBody {
  return {
    Name: spec.name,
    Driver: 'bridge',
    CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
    Options: { ...spec.options },
    Labels: { ...spec.labels },
  };
}

/**
 * True when an existing network is `spec`'s: the same single subnet and gateway, and the options
 * that decide pod traffic (masquerade off, the bridge name). A kubelet restart reuses it.
 */
export function networkMatches(existing: Readonly<DockerNetworkInspect>, spec: Readonly<PodNetworkSpec>): boolean {
  const config = existing.IPAM?.Config ?? [];
  if (config.length !== 1 || config[0]?.Subnet !== spec.subnet || config[0]?.Gateway !== spec.gateway) return false;
  const options = existing.Options ?? {};
  return ['com.docker.network.bridge.name', 'com.docker.network.bridge.enable_ip_masquerade'].every((key) => options[key] === spec.options[key]);
}
