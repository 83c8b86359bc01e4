/**
 * The node's pod CIDR, as the kubelet learns it (Kubernetes' kubelet updatePodCIDR): node IPAM in
 * the controller-manager sets the Node's spec.podCIDR; the kubelet waits for it and hands it to
 * the runtime (ContainerRuntime.configurePodNetwork), whose pods then get IPs from it.
 *
 * A kubelet given a static pod CIDR (KubeletConfig.podCIDR, Kubernetes' --pod-cidr) writes it to
 * its Node when the Node has none (the apiserver allows setting it once); a Node that already has
 * one keeps it, and that one is used.
 */
import { ConflictError, type Node } from '@skiff/api';
import type { BusConnection } from '@skiff/bus';
import { Informer, typed, type SkiffClient } from '@skiff/client';
import type { Logger } from 'pino';

export interface PodCidrOptions {
  client: SkiffClient;
  bus: BusConnection;
  nodeName: string;
  /** Written to the Node when it has none (--pod-cidr); none: wait for node IPAM. */
  staticPodCIDR?: string;
  log: Logger;
}

/** The Node's spec.podCIDR ('' when unset). */
export function podCidrOf(node: Readonly<Node> | undefined): string {
  return node?.spec?.podCIDR ?? '';
}

/**
 * Resolves with the Node's spec.podCIDR as soon as it is set (at once when it already is), after
 * writing `staticPodCIDR` to a Node without one. Waits as long as it takes; rejects only with the
 * signal's reason, or an API error of the static write other than a conflict (retried).
 */
export async function awaitPodCidr(options: PodCidrOptions, signal: AbortSignal): Promise<string> {
  const { client, bus, nodeName, log } = options;
  const nodes = typed(client, 'node');
  if (options.staticPodCIDR) {
    for (;;) {
      const node = await nodes.get('', nodeName, { signal });
      if (podCidrOf(node)) break;
      try {
        await nodes.update({ ...node, spec: { unschedulable: false, taints: [], ...node.spec, podCIDR: options.staticPodCIDR } }, { signal });
        log.info({ podCIDR: options.staticPodCIDR }, 'static pod CIDR written to the node');
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }
  const stop = new AbortController();
  const informerSignal = AbortSignal.any([signal, stop.signal]);
  const informer = new Informer({ client, bus, resource: 'node', name: nodeName, resyncMs: 0, log });
  const running = informer.start(informerSignal);
  try {
    const found = new Promise<string>((resolve, reject) => {
      const check = (node: Readonly<Node>) => {
        const cidr = podCidrOf(node);
        if (cidr) resolve(cidr);
      };
      informer.addHandler({ onAdd: check, onUpdate: (_old, node) => check(node), onDelete: () => undefined });
      informerSignal.addEventListener('abort', () => reject(signal.reason ?? new Error('stopped')), { once: true });
    });
    found.catch(() => undefined); // awaited below; an abort before then is not unhandled
    await informer.synced(signal);
    if (!podCidrOf(informer.list()[0])) log.info('waiting for the node to get a pod CIDR (node IPAM in the controller-manager)');
    return await found;
  } finally {
    stop.abort();
    await running.catch(() => undefined);
  }
}
