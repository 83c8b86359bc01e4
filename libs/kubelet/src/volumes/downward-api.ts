/**
 * The kubelet's side of the downward API (Kubernetes' podFieldSelectorRuntimeValue and
 * containerResourceRuntimeValue): what a fieldRef or resourceFieldRef gives a container beyond
 * the pod's metadata, which @skiff/api computes (podMetadataFieldValue, resourceFieldValue).
 *
 *   fieldPath                          value
 *   metadata.*                         podMetadataFieldValue (@skiff/api)
 *   spec.nodeName, serviceAccountName  the field (environment variables only, as in Kubernetes:
 *                                      volumes name metadata fields only)
 *   status.podIP, hostIP               the first address (podIPs, hostIPs: all, comma-separated);
 *                                      the addresses the kubelet knows win over the pod's status
 *
 * A resourceFieldRef's limit the container does not set falls back to the node's allocatable
 * (NodeAllocatable, passed to @skiff/api's resourceFieldValue).
 *
 * CONTRACT: pure; throws DownwardAPIError (@skiff/api) with Kubernetes' messages.
 */
import { podMetadataFieldValue, type Pod } from '@skiff/api';

/** The node's allocatable resources: limits a container does not set fall back to these. */
export interface NodeAllocatable {
  cpu: string;
  memory: string;
  'ephemeral-storage'?: string;
}

/**
 * Values the kubelet knows before the API's pod status does (the sandbox's addresses right after
 * it started): they win over `pod.status` for status.podIP(s) and status.hostIP(s).
 */
export interface RuntimeFieldValues {
  podIPs?: readonly string[];
  hostIPs?: readonly string[];
}

/**
 * The value of an environment variable's fieldRef `fieldPath` for `pod` (see the module
 * comment). Throws DownwardAPIError for a path Kubernetes does not support.
 */
export function fieldRefValue(pod: Readonly<Pod>, fieldPath: string, runtime: RuntimeFieldValues = {}): string {
  const podIPs = () => runtime.podIPs ?? podIPsOf(pod);
  const hostIPs = () => runtime.hostIPs ?? (pod.status?.hostIP ? [pod.status.hostIP] : []);
  switch (fieldPath) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return podIPs()[0] ?? '';
    case 'status.podIPs':
      return podIPs().join(',');
    case 'status.hostIP':
      return hostIPs()[0] ?? '';
    case 'status.hostIPs':
      return hostIPs().join(',');
    default:
      return podMetadataFieldValue(pod, fieldPath);
  }
}

function podIPsOf(pod: Readonly<Pod>): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length === 0 && pod.status?.podIP) return [pod.status.podIP];
  return ips;
}
