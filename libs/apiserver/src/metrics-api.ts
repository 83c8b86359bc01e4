/**
 * The resource metrics API (Api.PodMetrics / Api.NodeMetrics, Kubernetes' metrics.k8s.io served
 * by metrics-server): the pods or nodes asked for are read from storage (selectors applied as in
 * List), and their usage comes from their nodes' kubelets (KubeletSummaries: on demand, cached
 * until the kubelets' next sample, concurrent, each within a deadline). Only Ready nodes are
 * asked (a NotReady node's kubelet is most likely gone). Pods and nodes without figures (not
 * running, too new for a CPU rate, on a node that did not answer) are left out of lists; asked
 * for by name they are NotFoundError, as metrics-server answers.
 */
import { NotFoundError, unwrap, type ListNodeMetricsRequest, type ListPodMetricsRequest, type Node, type NodeMetrics, type NodeMetricsList, type Pod, type PodMetrics, type PodMetricsList, type PodStats } from '@skiff/api';
import type { GenericStore } from './generic-store';
import type { KubeletSummaries } from './kubelet-summaries';
import { nodeMetricsOf, podMetricsOf } from './resource-metrics';

/** True when the node's Ready condition is True. */
export function isNodeReady(node: Readonly<Node>): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const byNamespaceAndName = (a: PodMetrics | NodeMetrics, b: PodMetrics | NodeMetrics) =>
  (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

export class MetricsApi {
  constructor(
    private readonly store: GenericStore,
    private readonly summaries: KubeletSummaries,
  ) {}

  /** Pod metrics (see the module comment). Bad selectors are InvalidError. */
  async podMetrics(request: ListPodMetricsRequest, signal?: AbortSignal): Promise<PodMetricsList> {
    const namespace = request.name ? request.namespace || 'default' : request.namespace;
    const notFound = () => new NotFoundError(`podmetrics.metrics.k8s.io "${namespace}/${request.name}" not found`);
    let pods: Pod[];
    if (request.name) {
      try {
        pods = [unwrap(await this.store.get('pods', namespace, request.name, signal)).object as Pod];
      } catch (err) {
        if (err instanceof NotFoundError) throw notFound();
        throw err;
      }
    } else {
      pods = (await this.store.list({ resource: 'pods', namespace, labelSelector: request.labelSelector }, signal)).items.map((o) => unwrap(o).object as Pod);
    }
    const wanted = new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n));
    const nodes = wanted.size ? (await this.readyNodes(signal)).filter((n) => wanted.has(n.metadata?.name ?? '')) : [];
    const stats = new Map<string, PodStats>();
    for (const summary of (await this.summaries.summaries(nodes, signal)).values()) {
      for (const p of summary.pods) if (p.podRef?.uid) stats.set(p.podRef.uid, p);
    }
    const items = pods.flatMap((pod) => {
      const found = stats.get(pod.metadata?.uid ?? '');
      return found ? [podMetricsOf(pod, found)] : [];
    });
    if (request.name && !items.length) throw notFound();
    return { items: items.sort(byNamespaceAndName) };
  }

  /** Node metrics (see the module comment). Bad selectors are InvalidError. */
  async nodeMetrics(request: ListNodeMetricsRequest, signal?: AbortSignal): Promise<NodeMetricsList> {
    const notFound = () => new NotFoundError(`nodemetrics.metrics.k8s.io "${request.name}" not found`);
    let nodes: Node[];
    if (request.name) {
      try {
        nodes = [unwrap(await this.store.get('nodes', '', request.name, signal)).object as Node];
      } catch (err) {
        if (err instanceof NotFoundError) throw notFound();
        throw err;
      }
    } else {
      nodes = (await this.store.list({ resource: 'nodes', labelSelector: request.labelSelector }, signal)).items.map((o) => unwrap(o).object as Node);
    }
    const ready = nodes.filter(isNodeReady);
    const summaries = await this.summaries.summaries(ready, signal);
    const items = ready.flatMap((node) => {
      const metrics = nodeMetricsOf(node, summaries.get(node.metadata?.name ?? '')?.node);
      return metrics ? [metrics] : [];
    });
    if (request.name && !items.length) throw notFound();
    return { items: items.sort(byNamespaceAndName) };
  }

  private async readyNodes(signal?: AbortSignal): Promise<Node[]> {
    return (await this.store.list({ resource: 'nodes' }, signal)).items.map((o) => unwrap(o).object as Node).filter(isNodeReady);
  }
}
