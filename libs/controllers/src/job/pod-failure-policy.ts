/**
 * spec.podFailurePolicy (Kubernetes' matchPodFailurePolicy): the first rule that matches a failed
 * pod decides what its failure means.
 *
 *   no policy, or no rule matches ─> counts towards backoffLimit
 *   FailJob ──> the Job fails (reason PodFailurePolicy) with Kubernetes' message; counts
 *   Ignore ───> not counted (the pod is replaced, backoffLimit untouched)
 *   Count ────> counts
 *
 * onExitCodes matches a terminated container (app containers first, then init containers) with
 * a non-zero exit code, optionally only the named one, whose code is In / NotIn the values;
 * onPodConditions matches a pod condition of that type and status (DisruptionTarget=True ...).
 * CONTRACT: pure.
 */
import type { ContainerStatus, Pod, PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement } from '@skiff/api';

export interface PolicyMatch {
  /** Set when a FailJob rule matched: the Job's failure message. */
  failJobMessage?: string;
  /** Whether the failure counts towards backoffLimit. */
  countFailed: boolean;
  /** The action of the matching rule, if one matched. */
  action?: 'FailJob' | 'Ignore' | 'Count';
}

function matchingContainer(statuses: readonly ContainerStatus[] | undefined, req: Readonly<PodFailurePolicyOnExitCodesRequirement>): ContainerStatus | undefined {
  for (const status of statuses ?? []) {
    const terminated = status.state?.terminated;
    if (!terminated) continue;
    if (req.containerName !== undefined && req.containerName !== '' && req.containerName !== status.name) continue;
    if (terminated.exitCode === 0) continue;
    const listed = (req.values ?? []).includes(terminated.exitCode);
    if (req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false) return status;
  }
  return undefined;
}

/** What `policy` says about the failed `pod` (see the module comment). */
export function matchPodFailurePolicy(policy: Readonly<PodFailurePolicy> | undefined, pod: Readonly<Pod>): PolicyMatch {
  if (!policy) return { countFailed: true };
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    const action = rule.action as PolicyMatch['action'];
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const status = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!status) continue;
      failJobMessage = `Container ${status.name} for pod ${ns}/${name} failed with exit code ${status.state?.terminated?.exitCode} matching FailJob rule at index ${index}`;
    } else if ((rule.onPodConditions ?? []).length > 0) {
      const condition = (pod.status?.conditions ?? []).find((c) => rule.onPodConditions.some((p) => p.type === c.type && p.status === c.status));
      if (!condition) continue;
      failJobMessage = `Pod ${ns}/${name} has condition ${condition.type} matching FailJob rule at index ${index}`;
    } else {
      continue;
    }
    if (action === 'Ignore') return { countFailed: false, action };
    if (action === 'Count') return { countFailed: true, action };
    if (action === 'FailJob') return { failJobMessage, countFailed: true, action };
  }
  return { countFailed: true };
}
