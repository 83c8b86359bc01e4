/**
 * Resource quantities ("500m", "2", "128Mi", "1G", "1e3"), as Kubernetes' resource.Quantity.
 * CONTRACT: parse functions throw InvalidError-free plain Errors; callers add the field path.
 */

/** CPU in millicores: "500m" -> 500, "2" -> 2000, "0.1" -> 100. */
export function parseCpuMillis(_quantity: string): number {
  throw new Error('TODO(api helper)');
}

/** A quantity in base units (bytes for memory): "128Mi" -> 134217728, "1k" -> 1000. */
export function parseQuantity(_quantity: string): number {
  throw new Error('TODO(api helper)');
}

/** True when the text is a valid quantity. */
export function isQuantity(_quantity: string): boolean {
  throw new Error('TODO(api helper)');
}
