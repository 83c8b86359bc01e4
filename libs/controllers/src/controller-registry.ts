/**
 * Every controller the controller-manager can run, by the name `--controllers` uses
 * (Kubernetes' names). Each entry is a ControllerFactory; order does not matter.
 */
import type { ControllerFactory } from './controller-context';
import { replicaSetController } from './replicaset/replicaset-controller';

export const CONTROLLERS: Record<string, ControllerFactory> = {
  replicaset: replicaSetController,
};
