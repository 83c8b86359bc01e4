/**
 * Generated invalid manifests for acceptance test 3 (growing; see the final version below).
 */
export interface InvalidManifest {
  name: string;
  manifest: Record<string, unknown> | string;
  field: string;
}

/** Invalid manifests, each with the field path its error must name. */
export function invalidManifests(): InvalidManifest[] {
  const pod = (spec: Record<string, unknown>, name = 'bad') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec });
  return [
    { name: 'pod without image', manifest: pod({ containers: [{ name: 'c' }] }), field: 'spec.containers[0].image' },
    { name: 'pod with an unknown field', manifest: pod({ containers: [{ name: 'c', image: 'busybox', imagee: 'x' }] }), field: 'spec.containers[0].imagee' },
    { name: 'pod with an upper-case name', manifest: pod({ containers: [{ name: 'c', image: 'busybox' }] }, 'Web'), field: 'metadata.name' },
  ];
}
