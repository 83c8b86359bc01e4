/**
 * NodeUnschedulable and NodeReady: a cordoned node (spec.unschedulable) or one whose Ready
 * condition is not True takes no new pods, unless the pod tolerates the taint Kubernetes uses
 * for that state (node.kubernetes.io/unschedulable, node.kubernetes.io/not-ready, NoSchedule),
 * as DaemonSet pods do.
 */
import type { FilterPlugin } from '../framework/plugin';
import { SUCCESS, unresolvable } from '../framework/status';
import { TAINT_NOT_READY, TAINT_UNSCHEDULABLE, tolerated } from '@skiff/api';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_NOT_READY = 'node(s) were not ready';

export const nodeUnschedulableFilter: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(pod, node) {
    if (!node.unschedulable) return SUCCESS;
    if (tolerated(pod.tolerations, { key: TAINT_UNSCHEDULABLE, value: '', effect: 'NoSchedule', timeAdded: undefined })) return SUCCESS;
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
};

export const nodeReadyFilter: FilterPlugin = {
  name: 'NodeReady',
  filter(pod, node) {
    if (node.ready) return SUCCESS;
    if (tolerated(pod.tolerations, { key: TAINT_NOT_READY, value: '', effect: 'NoSchedule', timeAdded: undefined })) return SUCCESS;
    return unresolvable(ERR_REASON_NOT_READY);
  },
};
