/**
 * The pod a ReplicaSet creates from its template (Kubernetes' GetPodFromTemplate): the template's
 * labels, annotations, finalizers and spec, generateName `<rs name>-` (the apiserver adds five
 * random characters), the RS's namespace and the RS as controller owner (blockOwnerDeletion).
 */
import { Pod, type ReplicaSet } from '@skiff/api';
import { podNamePrefix } from '../pods/pod-template';
import { replicaSetRef } from './claim-pods';

export { podNamePrefix } from '../pods/pod-template';

/** A new Pod object for `rs` (no name: the apiserver generates one). */
export function podFromTemplate(rs: Readonly<ReplicaSet>): Pod {
  const template = rs.spec?.template;
  return Pod.fromPartial({
    metadata: {
      generateName: podNamePrefix(rs.metadata?.name ?? ''),
      namespace: rs.metadata?.namespace ?? '',
      labels: { ...template?.metadata?.labels },
      annotations: { ...template?.metadata?.annotations },
      finalizers: [...(template?.metadata?.finalizers ?? [])],
      ownerReferences: [replicaSetRef(rs)],
    },
    spec: structuredClone(template?.spec),
  });
}
