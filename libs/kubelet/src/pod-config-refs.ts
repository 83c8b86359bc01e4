/**
 * Which ConfigMaps and Secrets a pod uses (Kubernetes' podutil.VisitPodConfigmapNames and
 * VisitPodSecretNames): the objects the kubelet must watch for it. Pure.
 *
 * ConfigMaps: env[].valueFrom.configMapKeyRef, envFrom[].configMapRef, configMap volumes and
 * projected configMap sources. Secrets: env[].valueFrom.secretKeyRef, envFrom[].secretRef, secret
 * volumes, projected secret sources and spec.imagePullSecrets. Containers and init containers
 * alike; optional references included (the object may appear later); empty names left out.
 */
import type { Container, Pod } from '@skiff/api';

/** Names (in the pod's namespace) of the ConfigMaps and Secrets a pod references. */
export interface PodConfigRefs {
  configMaps: Set<string>;
  secrets: Set<string>;
}

/** The ConfigMaps and Secrets `pod` references; see the header for where they are read from. */
export function podConfigRefs(pod: Readonly<Pod>): PodConfigRefs {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const addConfigMap = (name: string | undefined) => name && configMaps.add(name);
  const addSecret = (name: string | undefined) => name && secrets.add(name);
  const spec = pod.spec;
  const containers: readonly Readonly<Container>[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  for (const container of containers) {
    for (const from of container.envFrom ?? []) {
      addConfigMap(from.configMapRef?.name);
      addSecret(from.secretRef?.name);
    }
    for (const env of container.env ?? []) {
      addConfigMap(env.valueFrom?.configMapKeyRef?.name);
      addSecret(env.valueFrom?.secretKeyRef?.name);
    }
  }
  for (const volume of spec?.volumes ?? []) {
    addConfigMap(volume.configMap?.name);
    addSecret(volume.secret?.secretName);
    for (const source of volume.projected?.sources ?? []) {
      addConfigMap(source.configMap?.name);
      addSecret(source.secret?.name);
    }
  }
  for (const ref of spec?.imagePullSecrets ?? []) addSecret(ref.name);
  return { configMaps, secrets };
}
