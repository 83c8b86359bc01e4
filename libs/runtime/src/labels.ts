/**
 * The labels Skiff puts on every Docker container it creates. They are the runtime's only
 * memory: a restarted kubelet lists containers by them and adopts what runs (no duplicates, no
 * restarts), and removes what belongs to pods that no longer exist.
 *
 * CONTRACT (other components and tests rely on these names):
 *   io.skiff.managed=true              on everything Skiff creates
 *   io.skiff.kind=sandbox|container    the pod's sandbox or an app container
 *   io.skiff.node=<node name>          the node (kubelet) owning it; several nodes may share a dockerd
 *   io.skiff.pod.uid / .namespace / .name
 *   io.skiff.sandbox.attempt           sandboxes only: 0 for the pod's first, +1 per replacement
 *   io.skiff.container.name            app containers only
 *   io.skiff.container.attempt         app containers only: 0 for the first run, +1 per restart
 *                                      (the restartCount the container status reports)
 *   io.skiff.container.hash            app containers only: containerSpecHash() of the spec it runs
 * Extra labels (e.g. a test run's `io.skiff.test=<id>`) are added verbatim.
 */
import { createHash } from 'node:crypto';
import type { Container } from '@skiff/api';

export const LABEL = {
  managed: 'io.skiff.managed',
  kind: 'io.skiff.kind',
  node: 'io.skiff.node',
  podUid: 'io.skiff.pod.uid',
  podNamespace: 'io.skiff.pod.namespace',
  podName: 'io.skiff.pod.name',
  sandboxAttempt: 'io.skiff.sandbox.attempt',
  containerName: 'io.skiff.container.name',
  attempt: 'io.skiff.container.attempt',
  hash: 'io.skiff.container.hash',
} as const;

/** Which pod a sandbox or container belongs to. */
export interface PodRef {
  uid: string;
  namespace: string;
  name: string;
}

/** What the labels of one Skiff container say. */
export type ParsedLabels =
  | { kind: 'sandbox'; node: string; pod: PodRef; attempt: number }
  | { kind: 'container'; node: string; pod: PodRef; containerName: string; attempt: number; hash: string };

/** Labels for a pod's sandbox container. */
export function sandboxLabels(node: string, pod: PodRef, attempt: number, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...extra,
    [LABEL.managed]: 'true',
    [LABEL.kind]: 'sandbox',
    [LABEL.node]: node,
    [LABEL.podUid]: pod.uid,
    [LABEL.podNamespace]: pod.namespace,
    [LABEL.podName]: pod.name,
    [LABEL.sandboxAttempt]: String(attempt),
  };
}

/** Labels for an app container (attempt = restart count, hash = containerSpecHash of its spec). */
export function containerLabels(
  node: string,
  pod: PodRef,
  container: { name: string; attempt: number; hash: string },
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...extra,
    [LABEL.managed]: 'true',
    [LABEL.kind]: 'container',
    [LABEL.node]: node,
    [LABEL.podUid]: pod.uid,
    [LABEL.podNamespace]: pod.namespace,
    [LABEL.podName]: pod.name,
    [LABEL.containerName]: container.name,
    [LABEL.attempt]: String(container.attempt),
    [LABEL.hash]: container.hash,
  };
}

/**
 * Reads Skiff's labels back; undefined for a container Skiff did not create or whose labels are
 * incomplete (such containers are never adopted or touched).
 */
export function parseLabels(labels: Readonly<Record<string, string>> | undefined): ParsedLabels | undefined {
  if (!labels || labels[LABEL.managed] !== 'true') return undefined;
  const node = labels[LABEL.node];
  const pod = { uid: labels[LABEL.podUid], namespace: labels[LABEL.podNamespace], name: labels[LABEL.podName] };
  if (!node || !pod.uid || !pod.namespace || !pod.name) return undefined;
  if (labels[LABEL.kind] === 'sandbox') {
    const attempt = parseAttempt(labels[LABEL.sandboxAttempt]);
    return attempt === undefined ? undefined : { kind: 'sandbox', node, pod, attempt };
  }
  if (labels[LABEL.kind] !== 'container') return undefined;
  const containerName = labels[LABEL.containerName];
  const attempt = parseAttempt(labels[LABEL.attempt]);
  if (!containerName || attempt === undefined) return undefined;
  return { kind: 'container', node, pod, containerName, attempt, hash: labels[LABEL.hash] ?? '' };
}

function parseAttempt(text: string | undefined): number | undefined {
  if (!text || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Docker label filters (`key=value`) selecting one node's objects, optionally one kind and one pod. */
export function labelFilters(node: string, opts: { kind?: 'sandbox' | 'container'; podUid?: string } = {}): string[] {
  const filters = [`${LABEL.managed}=true`, `${LABEL.node}=${node}`];
  if (opts.kind) filters.push(`${LABEL.kind}=${opts.kind}`);
  if (opts.podUid) filters.push(`${LABEL.podUid}=${opts.podUid}`);
  return filters;
}

/**
 * A short stable hash of what a container runs (image, command, args, env, workingDir, ports,
 * resources): the kubelet compares it with the running container's label to decide whether a
 * spec change needs a restart, as Kubernetes' container hash does. Key order does not matter.
 */
export function containerSpecHash(container: Readonly<Container>): string {
  const resources = container.resources ?? { limits: {}, requests: {} };
  const canonical = {
    image: container.image,
    command: container.command ?? [],
    args: container.args ?? [],
    workingDir: container.workingDir ?? '',
    env: (container.env ?? []).map((e) => [e.name, e.value, e.valueFrom ?? null]),
    ports: (container.ports ?? []).map((p) => [p.containerPort, p.protocol || 'TCP', p.hostPort || 0, p.hostIP || '']),
    limits: Object.entries(resources.limits ?? {}).sort(),
    requests: Object.entries(resources.requests ?? {}).sort(),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

/** A Docker container name for an app container, unique per pod uid and attempt (as kubelet's k8s_... names). */
export function containerDockerName(pod: PodRef, containerName: string, attempt: number): string {
  return `skiff_${containerName}_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}

/** The Docker container name of a pod's sandbox (attempt: 0 for the first, +1 for each replacement). */
export function sandboxDockerName(pod: PodRef, attempt = 0): string {
  return `skiff_POD_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}
