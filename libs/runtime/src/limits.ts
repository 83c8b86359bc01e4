/**
 * Resource requirements -> Docker HostConfig, as the kubelet maps them on cgroup v1/v2:
 *   limits.cpu     -> NanoCpus (1 CPU = 1e9; "500m" -> 5e8)
 *   requests.cpu   -> CpuShares (1 CPU = 1024, minimum 2; Kubernetes' MilliCPUToShares); when
 *                     only a limit is set, the request defaults to the limit, as in Kubernetes
 *   limits.memory  -> Memory and MemorySwap (equal: no swap, so exceeding the limit OOM-kills)
 * Quantities are assumed valid (the apiserver validated them); an invalid one throws.
 */
import { parseCpuMillis, parseQuantityCeil, type ResourceRequirements } from '@skiff/api';

/** The HostConfig fields limits set; a field is absent when the spec does not constrain it. */
export interface DockerLimits {
  NanoCpus?: number;
  CpuShares?: number;
  Memory?: number;
  MemorySwap?: number;
}

const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;

/** Maps a container's resources to Docker limits (see the module comment). */
export function dockerLimits(resources: Readonly<ResourceRequirements> | undefined): DockerLimits {
  const limits = resources?.limits ?? {};
  const requests = resources?.requests ?? {};
  const out: DockerLimits = {};
  if (limits.cpu) out.NanoCpus = parseCpuMillis(limits.cpu) * 1_000_000;
  const cpuRequest = requests.cpu ?? limits.cpu;
  if (cpuRequest) out.CpuShares = Math.max(MIN_SHARES, Math.floor((parseCpuMillis(cpuRequest) * SHARES_PER_CPU) / 1000));
  if (limits.memory) {
    out.Memory = parseQuantityCeil(limits.memory);
    out.MemorySwap = out.Memory;
  }
  return out;
}
