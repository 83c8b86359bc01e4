/**
 * Assigns Services their ClusterIP and node ports (Kubernetes' ipallocator / portallocator). It
 * decides values and returns the side writes that record them; the generic store commits those
 * in the same etcd transaction as the Service, so etcd decides races: a key that already exists
 * fails the whole write (SideKeyExistsError). A value the user asked for is then INVALID
 * ("provided IP is already allocated"); a value picked here is picked again after refresh().
 *
 *   Service write ──plan()──> { fill clusterIP / nodePorts, side: create new keys, delete released }
 *        │                                     │
 *        └── txn: object + side ──> etcd ──────┘  key exists? requested -> InvalidError
 *                                                              picked    -> refresh(), plan again
 *
 * The sets of taken values kept here are hints (refreshed from etcd on a collision or when a
 * range looks full), never the truth: correctness comes only from the guarded creates. A value
 * picked here joins the hints at once, so that concurrent writes through one apiserver do not
 * all pick the same value.
 */
import { randomInt } from 'node:crypto';
import { FailedPreconditionError, InvalidError, type FieldError, type Service } from '@skiff/api';
import type { SideWrites, Storage } from '@skiff/storage';
import { formatNodePortRange, pickFreePort, portInRange, type NodePortRange } from './node-port-range';
import { allocationKeysOf, needsNodePorts, NODE_PORT_PREFIX, nodePortKey, SERVICE_IP_PREFIX, serviceIpKey, type AllocationOwner } from './service-allocations';
import { ipInRange, pickFreeIp, type ServiceIpRange } from './service-ip-range';

/** The writes that record a Service's allocations, and the field to blame for each value the user asked for. */
export interface AllocationPlan {
  side: SideWrites;
  /** Allocation key -> the field that requested it (a collision there is the user's error). */
  requested: Map<string, FieldError>;
}

/** A range has no free value left (as far as the allocator knows: refresh() and plan again to be sure). */
export class RangeFullError extends FailedPreconditionError {}

export class ServiceAllocator {
  private takenIps = new Set<string>();
  private takenPorts = new Set<number>();

  constructor(
    private readonly storage: Storage,
    readonly ipRange: ServiceIpRange,
    readonly nodePortRange: NodePortRange,
    private readonly random: (n: number) => number = randomInt,
  ) {}

  /**
   * Fills `next`'s empty clusterIP (not for headless "None") and, for NodePort/LoadBalancer, its
   * ports' empty nodePorts (ports with the same number share one), and returns the side writes:
   * create a key for each value `next` holds that `old` did not, delete the keys of values `old`
   * held that `next` does not. InvalidError (naming spec.clusterIP or spec.ports[i].nodePort) for
   * a requested value outside the range; RangeFullError (FAILED_PRECONDITION) when a range looks
   * full. Values it picks count as taken from then on (until refresh()).
   */
  plan(next: Service, old: Readonly<Service> | undefined, owner: AllocationOwner): AllocationPlan {
    const spec = next.spec;
    const requested = new Map<string, FieldError>();
    const problems: FieldError[] = [];
    const oldKeys = new Set(allocationKeysOf(old));
    if (spec) {
      if (!spec.clusterIP) {
        const ip = pickFreeIp(this.ipRange, this.takenIps, this.random);
        if (!ip) throw new RangeFullError(`failed to allocate a serviceIP: range ${this.ipRange.cidr} is full`);
        this.takenIps.add(ip);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      } else if (spec.clusterIP !== 'None' && !oldKeys.has(serviceIpKey(spec.clusterIP))) {
        const field = 'spec.clusterIP';
        if (!ipInRange(this.ipRange, spec.clusterIP)) {
          problems.push({ field, detail: `Invalid value: "${spec.clusterIP}": provided IP is not in the valid range. The range of valid IPs is ${this.ipRange.cidr}` });
        }
        requested.set(serviceIpKey(spec.clusterIP), { field, detail: `Invalid value: "${spec.clusterIP}": provided IP is already allocated` });
      }
      if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
      const ports = spec.ports ?? [];
      if (needsNodePorts(spec.type)) {
        const chosen = new Map<number, number>(); // port number -> node port picked for it
        const inUse = new Set([...this.takenPorts, ...ports.map((p) => p.nodePort ?? 0).filter(Boolean)]);
        ports.forEach((port, i) => {
          const field = `spec.ports[${i}].nodePort`;
          if (port.nodePort) {
            if (oldKeys.has(nodePortKey(port.nodePort))) return;
            if (!portInRange(this.nodePortRange, port.nodePort)) {
              problems.push({ field, detail: `Invalid value: ${port.nodePort}: provided port is not in the valid range. The range of valid ports is ${formatNodePortRange(this.nodePortRange)}` });
            }
            requested.set(nodePortKey(port.nodePort), { field, detail: `Invalid value: ${port.nodePort}: provided port is already allocated` });
            return;
          }
          let nodePort = chosen.get(port.port);
          if (nodePort === undefined) {
            nodePort = pickFreePort(this.nodePortRange, inUse, this.random);
            if (nodePort === undefined) throw new RangeFullError(`failed to allocate a nodePort: range ${formatNodePortRange(this.nodePortRange)} is full`);
            inUse.add(nodePort);
            this.takenPorts.add(nodePort);
            chosen.set(port.port, nodePort);
          }
          port.nodePort = nodePort;
        });
      }
    }
    if (problems.length) throw new InvalidError(problems, `Service "${owner.name}" is invalid`);
    const newKeys = allocationKeysOf(next);
    const value = new TextEncoder().encode(JSON.stringify(owner));
    const side: SideWrites = {
      create: newKeys.filter((k) => !oldKeys.has(k)).map((key) => ({ key, value })),
      delete: [...oldKeys].filter((k) => !newKeys.includes(k)),
    };
    return { side, requested };
  }

  /** The side writes that release everything a Service holds (with its deletion). */
  release(stored: Readonly<Service>): SideWrites {
    return { delete: allocationKeysOf(stored) };
  }

  /** Reads the allocated IPs and ports from etcd (after a collision: the hints were stale). */
  async refresh(): Promise<void> {
    const [ips, ports] = await Promise.all([this.storage.list(SERVICE_IP_PREFIX), this.storage.list(NODE_PORT_PREFIX)]);
    this.takenIps = new Set(ips.items.map((kv) => kv.key.slice(SERVICE_IP_PREFIX.length)));
    this.takenPorts = new Set(ports.items.map((kv) => Number(kv.key.slice(NODE_PORT_PREFIX.length))));
  }

  /** Notes values this apiserver just committed or released (keeps the hints fresher between refreshes). */
  committed(side: SideWrites): void {
    for (const { key } of side.create ?? []) this.note(key, true);
    for (const key of side.delete ?? []) this.note(key, false);
  }

  private note(key: string, taken: boolean): void {
    if (key.startsWith(SERVICE_IP_PREFIX)) {
      const ip = key.slice(SERVICE_IP_PREFIX.length);
      if (taken) this.takenIps.add(ip);
      else this.takenIps.delete(ip);
    } else if (key.startsWith(NODE_PORT_PREFIX)) {
      const port = Number(key.slice(NODE_PORT_PREFIX.length));
      if (taken) this.takenPorts.add(port);
      else this.takenPorts.delete(port);
    }
  }
}
