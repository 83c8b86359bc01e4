/**
 * Validation of a container's environment, as Kubernetes' ValidateEnv / ValidateEnvFrom: names,
 * exactly one valueFrom source (fieldRef with the paths an env var may show, resourceFieldRef
 * with its resource and divisor, configMapKeyRef / secretKeyRef with a valid object name and
 * config key), envFrom with exactly one of configMapRef / secretRef and a prefix that is a
 * valid variable name.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { Container, EnvFromSource } from '../gen';
import { checkConfigMapKey, checkDns1123Subdomain, checkEnvVarName } from '../names';
import { invalid, invalidEach, required, type Errors } from './field-errors';
import { ENV_FIELD_PATHS, validateObjectFieldSelector, validateResourceFieldSelector } from './pod-volumes';

/** `env` of a container under `path`; `containers` are the pod's container names (resourceFieldRef.containerName). */
export function validateEnv(errs: Errors, c: Container, path: string, containers: ReadonlySet<string>): void {
  (c.env ?? []).forEach((env, i) => {
    const p = `${path}.env[${i}]`;
    if (!env.name) errs.push(required(`${p}.name`));
    else invalidEach(errs, `${p}.name`, env.name, checkEnvVarName(env.name));
    const from = env.valueFrom;
    if (!from) return;
    const vp = `${p}.valueFrom`;
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((s) => from[s] !== undefined);
    if (from.fieldRef) validateObjectFieldSelector(errs, from.fieldRef, ENV_FIELD_PATHS, `${vp}.fieldRef`);
    if (from.resourceFieldRef) validateResourceFieldSelector(errs, from.resourceFieldRef, `${vp}.resourceFieldRef`, false, containers);
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const r = from[ref];
      if (!r) continue;
      invalidEach(errs, `${vp}.${ref}.name`, r.name, checkDns1123Subdomain(r.name ?? ''));
      if (!r.key) errs.push(required(`${vp}.${ref}.key`));
      else invalidEach(errs, `${vp}.${ref}.key`, r.key, checkConfigMapKey(r.key));
    }
    if (sources.length === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (env.value) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (sources.length > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
  });
}

function validateEnvFromSource(errs: Errors, source: EnvFromSource, p: string, fieldOfSources: string): void {
  if (source.prefix) invalidEach(errs, `${p}.prefix`, source.prefix, checkEnvVarName(source.prefix));
  const refs = (['configMapRef', 'secretRef'] as const).filter((r) => source[r] !== undefined);
  for (const ref of refs) {
    const name = source[ref]?.name ?? '';
    if (!name) errs.push(required(`${p}.${ref}.name`));
    else invalidEach(errs, `${p}.${ref}.name`, name, checkDns1123Subdomain(name));
  }
  if (refs.length === 0) errs.push(invalid(fieldOfSources, '', 'must specify one of: `configMapRef` or `secretRef`'));
  else if (refs.length > 1) errs.push(invalid(fieldOfSources, '', 'may not have more than one field specified at a time'));
}

/** `envFrom` of a container under `path`. */
export function validateEnvFrom(errs: Errors, c: Container, path: string): void {
  (c.envFrom ?? []).forEach((source, i) => validateEnvFromSource(errs, source, `${path}.envFrom[${i}]`, `${path}.envFrom`));
}
