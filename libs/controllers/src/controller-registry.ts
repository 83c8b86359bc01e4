/**
 * Every controller the controller-manager can run, by the name `--controllers` uses
 * (Kubernetes' names). Each entry is a ControllerFactory; order does not matter.
 */
import type { ControllerFactory } from './controller-context';

export const CONTROLLERS: Record<string, ControllerFactory> = {
};
