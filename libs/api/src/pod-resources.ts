/**
 * A pod's effective resource requests and limits, as Kubernetes computes them
 * (k8s.io/component-helpers/resource PodRequests / PodLimits, and the "Resource sharing within
 * containers" rules of the Init Containers and Sidecar Containers docs). Everything that sums a
 * pod's resources (the scheduler's fit and scores, the kubelet's admission) uses these, so the
 * scheduler and the kubelet agree on what a pod asks for.
 *
 * For each resource, the effective value is the larger of
 *   - the sum over the app containers and every sidecar (init container with restartPolicy
 *     Always), which run together for the pod's life, and
 *   - for each regular init container i, its own value plus the values of the sidecars declared
 *     before it (those already running while it runs).
 * A resource no container names is absent from the result (not 0). Skiff has no pod overhead
 * and no pod-level resources, so neither is added.
 *
 * Amounts are plain numbers: cpu in millicores (Kubernetes' MilliValue), every other resource
 * in whole base units rounded up (Kubernetes' Value(): memory in bytes).
 * CONTRACT: pure; throws a plain Error when a quantity is malformed (validation prevents that for
 * stored pods).
 */
import type { Container, Pod } from './gen';
import { parseCpuMillis, parseQuantityCeil } from './quantity';

/** Resource name -> amount ("cpu" in millicores, others in whole base units). */
export type ResourceAmounts = Record<string, number>;

/** One quantity of resource `name` as an amount: "500m" cpu -> 500, "1Mi" memory -> 1048576. */
export function resourceAmount(name: string, quantity: string): number {
  return name === 'cpu' ? parseCpuMillis(quantity) : parseQuantityCeil(quantity);
}

/** A resource list ({cpu: "500m", memory: "1Gi"}) as amounts. */
export function resourceAmounts(list: Readonly<Record<string, string>> | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const [name, quantity] of Object.entries(list ?? {})) out[name] = resourceAmount(name, quantity);
  return out;
}

/** True for a native sidecar: an init container with restartPolicy Always. */
export function isRestartableInitContainer(container: Readonly<Container>): boolean {
  return container.restartPolicy === 'Always';
}

export interface PodRequestsOptions {
  /**
   * Amounts used for a container that does not request the resource (Kubernetes'
   * NonMissingContainerRequests): kube-scheduler's scores count an unset cpu as 100m and an
   * unset memory as 200Mi per container.
   */
  readonly nonMissingContainerRequests?: Readonly<ResourceAmounts>;
}

/** The pod's effective requests (see the module comment). */
export function podRequests(pod: Readonly<Pod>, options: PodRequestsOptions = {}): ResourceAmounts {
  const defaults = options.nonMissingContainerRequests;
  return aggregate(pod, (c) => {
    const amounts = resourceAmounts(c.resources?.requests);
    for (const [name, amount] of Object.entries(defaults ?? {})) if (!(name in amounts)) amounts[name] = amount;
    return amounts;
  });
}

/**
 * The pod's effective limits, by the same rule as requests. As Kubernetes' PodLimits, a container
 * without a limit adds nothing: callers that need "unlimited unless every container has a limit"
 * (the pod cgroup) check that themselves.
 */
export function podLimits(pod: Readonly<Pod>): ResourceAmounts {
  return aggregate(pod, (c) => resourceAmounts(c.resources?.limits));
}

function aggregate(pod: Readonly<Pod>, amountsOf: (c: Readonly<Container>) => ResourceAmounts): ResourceAmounts {
  const total: ResourceAmounts = {};
  for (const c of pod.spec?.containers ?? []) add(total, amountsOf(c));
  const sidecarsSoFar: ResourceAmounts = {};
  const initPeak: ResourceAmounts = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = amountsOf(c);
    if (isRestartableInitContainer(c)) {
      add(total, own);
      add(sidecarsSoFar, own);
    } else {
      max(initPeak, add({ ...sidecarsSoFar }, own));
    }
  }
  return max(total, initPeak);
}

/** into += from, per resource; returns into. */
function add(into: ResourceAmounts, from: Readonly<ResourceAmounts>): ResourceAmounts {
  for (const [name, v] of Object.entries(from)) into[name] = (into[name] ?? 0) + v;
  return into;
}

/** into = max(into, from), per resource (a resource only in `from` is taken); returns into. */
function max(into: ResourceAmounts, from: Readonly<ResourceAmounts>): ResourceAmounts {
  for (const [name, v] of Object.entries(from)) if (!(name in into) || v > into[name]) into[name] = v;
  return into;
}
