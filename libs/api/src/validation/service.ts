/**
 * Validation of Services and Endpoints.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { Endpoints, Service } from '../gen';
import { checkDns1123Label, isIPv4 } from '../names';
import { checkEnum, checkPort, duplicate, forbidden, invalid, invalidEach, required, type Errors } from './field-errors';
import { validateLabels } from './object-meta';
import { PROTOCOLS, validatePortNumOrName } from './pod';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort'];
export const SESSION_AFFINITIES = ['None', 'ClientIP'];
/** The default node port range (the apiserver's --service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** A Service's spec: ports, type, clusterIP, sessionAffinity, selector, externalIPs. */
export function validateService(errs: Errors, svc: Service): void {
  const spec = svc.spec;
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  checkEnum(errs, 'spec.type', spec.type, SERVICE_TYPES);
  checkEnum(errs, 'spec.sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES);
  const ports = spec.ports ?? [];
  if (!ports.length) errs.push(required('spec.ports'));
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    if (!port.name) {
      if (ports.length > 1) errs.push(required(`${p}.name`));
    } else {
      invalidEach(errs, `${p}.name`, port.name, checkDns1123Label(port.name));
      if (names.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      names.add(port.name);
    }
    checkPort(errs, `${p}.port`, port.port, false);
    checkEnum(errs, `${p}.protocol`, port.protocol, PROTOCOLS);
    const key = `${port.port}/${port.protocol || 'TCP'}`;
    if (port.port && portKeys.has(key)) errs.push(duplicate(p, key));
    portKeys.add(key);
    if (port.targetPort?.value !== undefined) validatePortNumOrName(errs, port.targetPort, `${p}.targetPort`);
    if (port.nodePort) {
      if ((spec.type || 'ClusterIP') === 'ClusterIP') errs.push(forbidden(`${p}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      // The apiserver's node port range (a flag) is checked when the port is allocated.
      else checkPort(errs, `${p}.nodePort`, port.nodePort, false);
      const npKey = `${port.nodePort}/${port.protocol || 'TCP'}`;
      if (nodePorts.has(npKey)) errs.push(duplicate(`${p}.nodePort`, port.nodePort));
      nodePorts.add(npKey);
    }
  });
  const ip = spec.clusterIP ?? '';
  if (ip && ip !== 'None' && !isIPv4(ip)) errs.push(invalid('spec.clusterIP', ip, 'must be empty, \'None\', or a valid IP address'));
  if (ip === 'None' && spec.type === 'NodePort') errs.push(invalid('spec.clusterIP', ip, 'may not be set to \'None\' for NodePort services'));
  (spec.clusterIPs ?? []).forEach((v, i) => {
    if (v !== 'None' && !isIPv4(v)) errs.push(invalid(`spec.clusterIPs[${i}]`, v, 'must be \'None\' or a valid IP address'));
  });
  if (ip && spec.clusterIPs?.length && spec.clusterIPs[0] !== ip) errs.push(invalid('spec.clusterIPs[0]', spec.clusterIPs[0], 'must be same as clusterIP'));
  (spec.externalIPs ?? []).forEach((v, i) => {
    if (!isIPv4(v)) errs.push(invalid(`spec.externalIPs[${i}]`, v, 'must be a valid IP address'));
  });
  validateLabels(errs, spec.selector, 'spec.selector');
}

/** On update, a clusterIP once set may not change (nor may the first clusterIPs entry). */
export function validateServiceUpdate(errs: Errors, svc: Service, old: Service): void {
  const before = old.spec?.clusterIP ?? '';
  const after = svc.spec?.clusterIP ?? '';
  if (before && after !== before) errs.push(invalid('spec.clusterIP', after, 'field is immutable'));
}

/** Endpoints: IPv4 addresses, host ports, port numbers, names and protocols. */
export function validateEndpoints(errs: Errors, ep: Endpoints): void {
  (ep.subsets ?? []).forEach((subset, i) => {
    const sp = `subsets[${i}]`;
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      (subset[list] ?? []).forEach((a, j) => {
        const ap = `${sp}.${list}[${j}]`;
        if (!a.ip) errs.push(required(`${ap}.ip`));
        else if (!isIPv4(a.ip)) errs.push(invalid(`${ap}.ip`, a.ip, 'must be a valid IP address'));
        if (a.hostIP && !isIPv4(a.hostIP)) errs.push(invalid(`${ap}.hostIP`, a.hostIP, 'must be a valid IP address'));
        (a.hostPorts ?? []).forEach((hp, k) => checkPort(errs, `${ap}.hostPorts[${k}]`, hp, true));
        if (a.hostname) invalidEach(errs, `${ap}.hostname`, a.hostname, checkDns1123Label(a.hostname));
      });
    }
    const names = new Set<string>();
    (subset.ports ?? []).forEach((port, j) => {
      const pp = `${sp}.ports[${j}]`;
      if (port.name) {
        invalidEach(errs, `${pp}.name`, port.name, checkDns1123Label(port.name));
        if (names.has(port.name)) errs.push(duplicate(`${pp}.name`, port.name));
        names.add(port.name);
      } else if ((subset.ports ?? []).length > 1) errs.push(required(`${pp}.name`));
      checkPort(errs, `${pp}.port`, port.port, false);
      checkEnum(errs, `${pp}.protocol`, port.protocol, PROTOCOLS);
    });
  });
}
