/**
 * Resource amounts as plain numbers: cpu in millicores, memory (and every other resource) in
 * whole base units, parsed with libs/api's resourceAmounts (the unit of its podRequests).
 */
import type { ResourceAmounts } from '@skiff/api';

/** Resource name -> amount ("cpu" in millicores, "memory" in bytes, others in whole units). */
export type Resources = Readonly<ResourceAmounts>;

/** kube-scheduler's defaults for a container that requests no cpu / memory, used only by scores. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** a + b per resource (a new object). */
export function addResources(a: Resources, b: Resources): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [name, v] of Object.entries(b)) out[name] = (out[name] ?? 0) + v;
  return out;
}

/** a - b per resource (a new object). */
export function subtractResources(a: Resources, b: Resources): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [name, v] of Object.entries(b)) out[name] = (out[name] ?? 0) - v;
  return out;
}
