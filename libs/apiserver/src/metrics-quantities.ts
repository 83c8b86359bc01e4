/**
 * Usage figures as the quantity strings of metrics.k8s.io, in the canonical form Kubernetes
 * prints them (metrics-server's NewScaledQuantity(nanoCores, -9) and NewQuantity(bytes, BinarySI)):
 * the largest suffix that keeps the value exact.
 */
import { formatBytes } from '@skiff/api';

/** Billionths of a core as a CPU quantity: 2e9 -> "2", 2.5e8 -> "250m", 1500 -> "1500n", 12000 -> "12u". */
export function formatNanoCores(nanoCores: number): string {
  const n = Math.max(0, Math.round(nanoCores));
  if (n === 0) return '0';
  if (n % 1e9 === 0) return String(n / 1e9);
  if (n % 1e6 === 0) return `${n / 1e6}m`;
  if (n % 1e3 === 0) return `${n / 1e3}u`;
  return `${n}n`;
}

/** Bytes as a memory quantity: 104857600 -> "100Mi", 106360832 -> "103868Ki", 1000 -> "1000". */
export function formatMemoryBytes(bytes: number): string {
  return formatBytes(Math.max(0, Math.round(bytes)));
}
