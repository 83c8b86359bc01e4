/**
 * The pod a DaemonSet runs on one node (Kubernetes' daemon util: NewPod,
 * AddOrUpdateDaemonPodTolerations, ReplaceDaemonSetPodNodeNameNodeAffinity, GetTargetNodeName).
 *
 * Since Kubernetes 1.12 the controller does not bind its pods: it creates each one with a
 * required node affinity `matchFields metadata.name In [node]` and the scheduler binds it. The
 * pod also gets the tolerations every daemon pod has, so that it keeps running on (and is
 * placed on) nodes that are not ready, unreachable, under pressure or cordoned.
 * CONTRACT: pure; never changes its arguments.
 */
import {
  Pod,
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Affinity,
  type DaemonSet,
  type NodeSelectorRequirement,
  type PodSpec,
  type Toleration,
} from '@skiff/api';
import { newControllerRef } from '../owner-refs';

/** The label carrying the hash of the template (pods and ControllerRevisions), as Kubernetes. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label carrying the DaemonSet's generation when the pod was made (Kubernetes' deprecated one, still set). */
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The field a node-name affinity selects on. */
export const NODE_NAME_FIELD = 'metadata.name';

const toleration = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', value: '', effect });

/**
 * The tolerations Kubernetes adds to every daemon pod (AddOrUpdateDaemonPodTolerations):
 * not-ready and unreachable NoExecute without tolerationSeconds (never evicted), disk-, memory-
 * and pid-pressure and unschedulable NoSchedule. (network-unavailable is added for hostNetwork
 * pods in Kubernetes; Skiff pods have no hostNetwork.)
 */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  toleration(TAINT_NOT_READY, 'NoExecute'),
  toleration(TAINT_UNREACHABLE, 'NoExecute'),
  toleration(TAINT_DISK_PRESSURE, 'NoSchedule'),
  toleration(TAINT_MEMORY_PRESSURE, 'NoSchedule'),
  toleration(TAINT_PID_PRESSURE, 'NoSchedule'),
  toleration(TAINT_UNSCHEDULABLE, 'NoSchedule'),
];

/**
 * `tolerations` with the daemon tolerations added or updated (Kubernetes' AddOrUpdateTolerationInPod:
 * a toleration with the same key, operator and effect is replaced, others are kept).
 */
export function withDaemonTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] {
  const out = (tolerations ?? []).map((t) => ({ ...t }));
  for (const add of DAEMON_POD_TOLERATIONS) {
    const i = out.findIndex((t) => t.key === add.key && (t.operator || 'Equal') === add.operator && t.effect === add.effect);
    if (i >= 0) out[i] = { ...add };
    else out.push({ ...add });
  }
  return out;
}

const isNodeNameField = (r: NodeSelectorRequirement) => r.key === NODE_NAME_FIELD;

/**
 * `affinity` with a required node affinity that selects `nodeName` by field: each required term
 * loses its metadata.name field requirements and gets `metadata.name In [nodeName]` (its other
 * requirements are kept: the node matched them); with no required terms the affinity gets one
 * term with the field requirement alone. Preferred terms are kept.
 */
export function withNodeNameAffinity(affinity: Readonly<Affinity> | undefined, nodeName: string): Affinity {
  const field: NodeSelectorRequirement = { key: NODE_NAME_FIELD, operator: 'In', values: [nodeName] };
  const out = structuredClone(affinity ?? {}) as Affinity;
  const nodeAffinity = (out.nodeAffinity ??= { preferredDuringSchedulingIgnoredDuringExecution: [] });
  const terms = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms:
      terms.length === 0
        ? [{ matchExpressions: [], matchFields: [field] }]
        : terms.map((t) => ({ matchExpressions: t.matchExpressions ?? [], matchFields: [...(t.matchFields ?? []).filter((r) => !isNodeNameField(r)), field] })),
  };
  return out;
}

/**
 * The node a daemon pod is for: spec.nodeName once bound, else the single value of a
 * `metadata.name In [x]` field requirement of its required node affinity; undefined if neither.
 */
export function targetNodeName(pod: Readonly<Pod>): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const r = term.matchFields?.find((f) => isNodeNameField(f) && f.operator === 'In' && f.values.length === 1);
    if (r) return r.values[0];
  }
  return undefined;
}

/** The pod spec of the template with the daemon tolerations (what eligibility is judged on). */
export function daemonPodSpec(ds: Readonly<DaemonSet>): PodSpec {
  const spec = structuredClone(ds.spec?.template?.spec ?? {}) as PodSpec;
  spec.tolerations = withDaemonTolerations(spec.tolerations);
  return spec;
}

/**
 * A new Pod for `nodeName` (no name: generateName `<ds>-`): the template's metadata and spec, the
 * daemon tolerations, the node-name affinity, the labels controller-revision-hash=`hash` and
 * pod-template-generation=<ds generation>, and the DaemonSet as controller owner.
 */
export function newDaemonPod(ds: Readonly<DaemonSet>, nodeName: string, hash: string): Pod {
  const template = ds.spec?.template;
  const spec = daemonPodSpec(ds);
  spec.affinity = withNodeNameAffinity(spec.affinity, nodeName);
  return Pod.fromPartial({
    metadata: {
      generateName: `${ds.metadata?.name ?? ''}-`.slice(0, 58),
      namespace: ds.metadata?.namespace ?? '',
      labels: { ...template?.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash, [POD_TEMPLATE_GENERATION_LABEL]: String(ds.metadata?.generation ?? 0) },
      annotations: { ...template?.metadata?.annotations },
      finalizers: [...(template?.metadata?.finalizers ?? [])],
      ownerReferences: [daemonSetRef(ds)],
    },
    spec,
  });
}

/** The controller reference a DaemonSet puts on its pods and ControllerRevisions. */
export function daemonSetRef(ds: Readonly<DaemonSet>) {
  return newControllerRef(ds, 'apps/v1', 'DaemonSet');
}
