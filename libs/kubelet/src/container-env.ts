/**
 * A container's environment, command and args as the kubelet computes them when it creates the
 * container (Kubernetes' makeEnvironmentVariables in pkg/kubelet/kubelet_pods.go, then
 * ExpandContainerCommandAndArgs). Pure: the ConfigMaps and Secrets come already fetched in `ctx`.
 *
 *   1. envFrom, in order: every data key of the ConfigMap/Secret, prefixed; a later source wins.
 *      A name that is not a valid environment variable name is skipped and reported (the caller
 *      records Kubernetes' InvalidEnvironmentVariableNames event). A missing object is an error
 *      unless `optional`.
 *   2. env, in order: a non-empty `value` has its `$(VAR)` references expanded against the
 *      variables defined so far (envFrom and earlier env) and then the service variables; else
 *      `valueFrom`: configMapKeyRef / secretKeyRef (a missing object or key is an error unless
 *      `optional`, which leaves the variable out), fieldRef (the downward API), resourceFieldRef
 *      (containerName defaults to this container). An env entry replaces an envFrom one.
 *   3. The result: the variables of 1 and 2 (first definition's position), then every service
 *      variable (ctx.serviceEnv) that they do not define.
 *   4. command and args: each element expanded against the result.
 *
 * CONTRACT: returns ContainerConfigError (never throws) with the kubelet's messages:
 *   configmap "x" not found | couldn't find key k in ConfigMap ns/x
 *   secret "x" not found    | couldn't find key k in Secret ns/x
 *   a downward API failure (unsupported fieldPath: ..., container x not found, ...)
 * The caller shows it as the container's Waiting reason CreateContainerConfigError and retries on
 * the next sync (e.g. when the missing object appears). Secret values are decoded as UTF-8; they
 * appear only in the returned env, never in an error or a report.
 */
import { checkEnvVarName, resourceFieldValue, type ConfigMap, type Container, type Pod, type Secret } from '@skiff/api';
import { expand, mappingFor } from './expansion';
import { fieldRefValue, type NodeAllocatable } from './volumes/downward-api';

/** The Waiting reason of a container whose configuration cannot be built. */
export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';
/** The reason of the Warning event for envFrom keys that were skipped. */
export const INVALID_ENVIRONMENT_VARIABLE_NAMES = 'InvalidEnvironmentVariableNames';

/** The container cannot be created as specified (a missing ConfigMap, Secret or key, a bad field path). */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
  readonly reason = CREATE_CONTAINER_CONFIG_ERROR;
}

/** What the environment needs besides the pod: already fetched, so that this stays pure. */
export interface ContainerEnvContext {
  /** The service variables the container sees (service-env.ts), not filtered by the container's own env. */
  serviceEnv: Readonly<Record<string, string>>;
  /** The pod's address (status.podIP); "" when the kubelet has none (pod.status is used then). */
  podIP: string;
  /** Every pod address (status.podIPs); default [podIP] (none when podIP is ""). */
  podIPs?: readonly string[];
  /** The node's address (status.hostIP); "" falls back to pod.status like podIP. */
  hostIP: string;
  /** Every node address (status.hostIPs); default [hostIP]. */
  hostIPs?: readonly string[];
  /** Limits a container does not set fall back to these (resourceFieldRef). */
  nodeAllocatable: Readonly<NodeAllocatable>;
  /** The ConfigMap `namespace/name`, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Readonly<ConfigMap> | undefined;
  /** The Secret `namespace/name`, or undefined when it does not exist. */
  secret(namespace: string, name: string): Readonly<Secret> | undefined;
}

/** envFrom keys of one source that were skipped as invalid variable names (names only, never values). */
export interface InvalidEnvNames {
  source: 'configMap' | 'secret';
  namespace: string;
  name: string;
  /** The prefixed keys, sorted. */
  keys: string[];
  /** Kubernetes' event message: `Keys [a, b] from the EnvFrom configMap ns/x were skipped since ...`. */
  message: string;
}

export interface ContainerEnvironment {
  env: { name: string; value: string }[];
  /** The expanded command; undefined when the container sets none (the image's entrypoint). */
  command?: string[];
  /** The expanded args; undefined when the container sets none (the image's cmd). */
  args?: string[];
  /** For one InvalidEnvironmentVariableNames Warning event each. */
  invalidEnvNames: InvalidEnvNames[];
}

/** The environment, command and args of `container` of `pod`; see the module comment. */
export function containerEnvironment(
  pod: Readonly<Pod>,
  container: Readonly<Container>,
  ctx: ContainerEnvContext,
): ContainerEnvironment | ContainerConfigError {
  const namespace = pod.metadata?.namespace || 'default';
  const vars = new Map<string, string>();
  const invalidEnvNames: InvalidEnvNames[] = [];
  const configMaps = new Map<string, Readonly<ConfigMap> | undefined>();
  const secrets = new Map<string, Readonly<Secret> | undefined>();
  const configMap = (name: string) => {
    if (!configMaps.has(name)) configMaps.set(name, ctx.configMap(namespace, name));
    return configMaps.get(name);
  };
  const secret = (name: string) => {
    if (!secrets.has(name)) secrets.set(name, ctx.secret(namespace, name));
    return secrets.get(name);
  };

  for (const from of container.envFrom ?? []) {
    let data: [string, string][];
    let source: InvalidEnvNames['source'];
    let name: string;
    if (from.configMapRef) {
      name = from.configMapRef.name;
      source = 'configMap';
      const object = configMap(name);
      if (!object) {
        if (from.configMapRef.optional) continue;
        return new ContainerConfigError(`configmap "${name}" not found`);
      }
      data = Object.entries(object.data ?? {});
    } else if (from.secretRef) {
      name = from.secretRef.name;
      source = 'secret';
      const object = secret(name);
      if (!object) {
        if (from.secretRef.optional) continue;
        return new ContainerConfigError(`secret "${name}" not found`);
      }
      data = Object.entries(object.data ?? {}).map(([k, v]) => [k, decodeSecretValue(v)]);
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [key, value] of data.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const varName = from.prefix ? from.prefix + key : key;
      if (checkEnvVarName(varName).length > 0) invalid.push(varName);
      else vars.set(varName, value);
    }
    if (invalid.length > 0) {
      invalid.sort();
      invalidEnvNames.push({
        source,
        namespace,
        name,
        keys: invalid,
        message: `Keys [${invalid.join(', ')}] from the EnvFrom ${source} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const mapping = mappingFor(vars, ctx.serviceEnv);
  for (const envVar of container.env ?? []) {
    let value = envVar.value ?? '';
    const from = envVar.valueFrom;
    if (value !== '') {
      value = expand(value, mapping);
    } else if (from?.fieldRef) {
      const resolved = fieldValue(pod, from.fieldRef.apiVersion, from.fieldRef.fieldPath, ctx);
      if (resolved instanceof ContainerConfigError) return resolved;
      value = resolved;
    } else if (from?.resourceFieldRef) {
      const ref = from.resourceFieldRef;
      const resolved = downward(() => resourceFieldValue(pod, ref.containerName || container.name, ref.resource, ref.divisor, ctx.nodeAllocatable));
      if (resolved instanceof ContainerConfigError) return resolved;
      value = resolved;
    } else if (from?.configMapKeyRef) {
      const { name, key, optional } = from.configMapKeyRef;
      const object = configMap(name);
      if (!object) {
        if (optional) continue;
        return new ContainerConfigError(`configmap "${name}" not found`);
      }
      const data = object.data ?? {};
      if (!Object.prototype.hasOwnProperty.call(data, key)) {
        if (optional) continue;
        return new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
      }
      value = data[key];
    } else if (from?.secretKeyRef) {
      const { name, key, optional } = from.secretKeyRef;
      const object = secret(name);
      if (!object) {
        if (optional) continue;
        return new ContainerConfigError(`secret "${name}" not found`);
      }
      const data = object.data ?? {};
      if (!Object.prototype.hasOwnProperty.call(data, key)) {
        if (optional) continue;
        return new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
      }
      value = decodeSecretValue(data[key]);
    }
    vars.set(envVar.name, value);
  }

  const env = [...vars].map(([name, value]) => ({ name, value }));
  for (const [name, value] of Object.entries(ctx.serviceEnv)) {
    if (!vars.has(name)) env.push({ name, value });
  }
  const finalMapping = mappingFor(new Map(env.map((e) => [e.name, e.value])));
  const expandAll = (list: readonly string[] | undefined) => (list && list.length > 0 ? list.map((s) => expand(s, finalMapping)) : undefined);
  return { env, command: expandAll(container.command), args: expandAll(container.args), invalidEnvNames };
}

/** A fieldRef's value: the pod's own fields, with the kubelet's addresses for status.*IP(s). */
function fieldValue(pod: Readonly<Pod>, apiVersion: string, fieldPath: string, ctx: ContainerEnvContext): string | ContainerConfigError {
  // Kubernetes' ConvertDownwardAPIFieldLabel: only v1 (defaulted when empty).
  if (apiVersion && apiVersion !== 'v1') return new ContainerConfigError(`unsupported pod version: ${apiVersion}`);
  // Addresses the kubelet does not know (yet) fall back to the pod's status.
  const podIPs = ctx.podIPs ?? (ctx.podIP ? [ctx.podIP] : undefined);
  const hostIPs = ctx.hostIPs ?? (ctx.hostIP ? [ctx.hostIP] : undefined);
  return downward(() => fieldRefValue(pod, fieldPath, { podIPs, hostIPs }));
}

function downward(compute: () => string): string | ContainerConfigError {
  try {
    return compute();
  } catch (err) {
    return new ContainerConfigError((err as Error).message, { cause: err });
  }
}

const utf8 = new TextDecoder('utf-8');

/** A Secret's value (bytes) as the string Kubernetes passes to the runtime. */
function decodeSecretValue(value: Uint8Array | string): string {
  return typeof value === 'string' ? value : utf8.decode(value);
}
