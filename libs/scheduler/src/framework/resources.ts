/**
 * Resource amounts as plain numbers: cpu in millicores, memory (and every other resource) in
 * whole base units, parsed once with libs/api's quantity helpers.
 */
import { parseCpuMillis, parseQuantityCeil } from '@skiff/api';

/** Resource name -> amount ("cpu" in millicores, "memory" in bytes, others in whole units). */
export type Resources = Readonly<Record<string, number>>;

/** kube-scheduler's defaults for a container that requests no cpu / memory, used only by scores. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** One resource quantity as a number; throws a plain Error on a malformed quantity. */
export function parseResource(name: string, quantity: string): number {
  return name === 'cpu' ? parseCpuMillis(quantity) : parseQuantityCeil(quantity);
}

/** A resource list ({cpu: "500m", memory: "1Gi"}) as numbers. Throws on a malformed quantity. */
export function parseResources(list: Readonly<Record<string, string>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, quantity] of Object.entries(list ?? {})) out[name] = parseResource(name, quantity);
  return out;
}

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
