/**
 * Every controller the controller-manager can run, by the name `--controllers` uses
 * (Kubernetes' names). Each entry is a ControllerFactory; order does not matter.
 */
import type { ControllerFactory } from './controller-context';
import { cronJobController } from './cronjob/cronjob-controller';
import { daemonSetController } from './daemonset/daemonset-controller';
import { deploymentController } from './deployment/deployment-controller';
import { disruptionController } from './disruption/disruption-controller';
import { endpointsController } from './endpoints/endpoints-controller';
import { garbageCollector } from './garbage-collector/garbage-collector';
import { horizontalPodAutoscalerController } from './horizontal-pod-autoscaler/horizontal-pod-autoscaler-controller';
import { jobController } from './job/job-controller';
import { namespaceController } from './namespace/namespace-controller';
import { nodeLifecycleController } from './node-lifecycle/node-lifecycle-controller';
import { nodeIpamController } from './node-ipam/node-ipam-controller';
import { podGcController } from './node-lifecycle/pod-gc-controller';
import { taintEvictionController } from './node-lifecycle/taint-eviction-controller';
import { ttlAfterFinishedController } from './ttl-after-finished/ttl-after-finished-controller';
import { replicaSetController } from './replicaset/replicaset-controller';
import { serviceAccountController } from './serviceaccount/service-account-controller';
import { statefulSetController } from './statefulset/statefulset-controller';
import { persistentVolumeBinder } from './volume/persistent-volume-binder';
import { pvcProtectionController, pvProtectionController } from './volume/storage-protection-controllers';

export const CONTROLLERS: Record<string, ControllerFactory> = {
  replicaset: replicaSetController,
  deployment: deploymentController,
  garbagecollector: garbageCollector,
  namespace: namespaceController,
  nodelifecycle: nodeLifecycleController,
  'taint-eviction-controller': taintEvictionController,
  podgc: podGcController,
  endpoint: endpointsController,
  horizontalpodautoscaling: horizontalPodAutoscalerController,
  serviceaccount: serviceAccountController,
  nodeipam: nodeIpamController,
  job: jobController,
  'ttl-after-finished': ttlAfterFinishedController,
  cronjob: cronJobController,
  daemonset: daemonSetController,
  disruption: disruptionController,
  statefulset: statefulSetController,
  'persistentvolume-binder': persistentVolumeBinder,
  'pvc-protection': pvcProtectionController,
  'pv-protection': pvProtectionController,
};
