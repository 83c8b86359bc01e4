/**
 * Generated invalid manifests (acceptance test 3 of issue 2): missing fields, bad names, bad
 * quantities, wrong JSON types, unknown fields, oversize objects, bad label keys and values, bad
 * ports, bad enums, broken YAML, across every kind.
 * CONTRACT: `invalidManifests()` returns at least 200 cases with distinct names; each is refused
 * by the strict manifest reader (objectFromManifest / parseManifests) or, after defaulting, by
 * validateObject, with an error whose `field` equals the case's `field` (a Kubernetes-style path
 * such as "spec.containers[0].ports[1].containerPort"). A string manifest is YAML text.
 * Every call builds fresh objects: callers may change them.
 * Plain data only (no import of @skiff/api), so that the api lib's own specs can use it.
 */

export interface InvalidManifest {
  name: string;
  manifest: Record<string, unknown> | string;
  field: string;
}

type Manifest = Record<string, unknown>;
// Test data is edited through loose paths; `any` keeps the generators short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** The encoded-size limit the apiserver enforces (MAX_OBJECT_BYTES in @skiff/api). */
const OVERSIZE = 1_100_000;

const container = (extra: Manifest = {}): Manifest => ({ name: 'app', image: '127.0.0.1:5000/busybox:1.36', ...extra });
const meta = (name: string, namespaced = true): Manifest => (namespaced ? { name, namespace: 'default' } : { name });

function bases(): Record<string, Manifest> {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [container({ ports: [{ name: 'http', containerPort: 8080 }] })] } };
  return {
    Pod: { apiVersion: 'v1', kind: 'Pod', metadata: meta('web'), spec: { containers: [container()] } },
    Service: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } },
    ReplicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('web-1'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: structuredClone(template) } },
    Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: meta('shop', false) },
    Node: { apiVersion: 'v1', kind: 'Node', metadata: meta('node-1', false), spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '4', memory: '8Gi' } } },
    ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('config'), data: { color: 'blue' } },
    Secret: { apiVersion: 'v1', kind: 'Secret', metadata: meta('secret'), data: { token: 'czNjcjN0' } },
    Endpoints: { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('web'), subsets: [{ addresses: [{ ip: '172.17.0.5' }], ports: [{ name: 'http', port: 8080 }] }] },
    Event: { apiVersion: 'v1', kind: 'Event', metadata: meta('web.1'), involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' }, reason: 'Pulled', type: 'Normal', count: 1 },
    Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('node-1'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } },
    HorizontalPodAutoscaler: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('web'),
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
    },
  };
}

/** The valid manifests (one per kind) that the invalid cases are derived from: a control group. */
export function validManifests(): Manifest[] {
  return Object.values(bases());
}

/** Invalid manifests, each with the field path its error must name. */
export function invalidManifests(): InvalidManifest[] {
  const base = bases();
  const out: InvalidManifest[] = [];
  const add = (name: string, kind: string, field: string, change: (m: Loose) => void): void => {
    const m = structuredClone(base[kind]) as Loose;
    change(m);
    out.push({ name, manifest: m, field });
  };
  const pod = (name: string, field: string, change: (spec: Loose, m: Loose) => void) => add(`Pod: ${name}`, 'Pod', field, (m) => change(m.spec, m));
  const podContainer = (name: string, field: string, extra: Manifest) => pod(name, `spec.containers[0].${field}`, (s) => Object.assign(s.containers[0], extra));

  // ------------------------------------------------------------------ apiVersion and kind
  add('no apiVersion', 'Pod', 'apiVersion', (m) => delete m.apiVersion);
  add('no kind', 'Pod', 'kind', (m) => delete m.kind);
  add('unknown kind', 'Pod', 'kind', (m) => (m.kind = 'Widget'));
  add('Deployment in v1', 'Deployment', 'apiVersion', (m) => (m.apiVersion = 'v1'));
  add('apps/v2 Deployment', 'Deployment', 'apiVersion', (m) => (m.apiVersion = 'apps/v2'));
  add('numeric apiVersion', 'Pod', 'apiVersion', (m) => (m.apiVersion = 1));
  add('kind as a list', 'Pod', 'kind', (m) => (m.kind = ['Pod']));

  // ------------------------------------------------------------------ names and namespaces, every kind
  const labelNamed = new Set(['Namespace', 'Service']);
  for (const kind of Object.keys(base)) {
    add(`${kind}: no name`, kind, 'metadata.name', (m) => delete m.metadata.name);
    add(`${kind}: upper-case name`, kind, 'metadata.name', (m) => (m.metadata.name = 'Web'));
    add(`${kind}: name starting with a dash`, kind, 'metadata.name', (m) => (m.metadata.name = '-web'));
    add(`${kind}: name with an underscore`, kind, 'metadata.name', (m) => (m.metadata.name = 'web_1'));
    add(`${kind}: name too long`, kind, 'metadata.name', (m) => (m.metadata.name = 'a'.repeat(labelNamed.has(kind) ? 64 : 254)));
    if (labelNamed.has(kind)) add(`${kind}: dotted name`, kind, 'metadata.name', (m) => (m.metadata.name = 'web.v1'));
    if (kind === 'Namespace' || kind === 'Node') {
      add(`${kind}: namespace on a cluster-scoped kind`, kind, 'metadata.namespace', (m) => (m.metadata.namespace = 'default'));
    } else {
      add(`${kind}: no namespace`, kind, 'metadata.namespace', (m) => delete m.metadata.namespace);
      add(`${kind}: bad namespace`, kind, 'metadata.namespace', (m) => (m.metadata.namespace = 'Bad_NS'));
    }
    add(`${kind}: unknown metadata field`, kind, 'metadata.nme', (m) => (m.metadata.nme = 'x'));
    add(`${kind}: unknown top-level field`, kind, 'specification', (m) => (m.specification = {}));
    add(`${kind}: metadata is a string`, kind, 'metadata', (m) => (m.metadata = 'web'));
  }

  // ------------------------------------------------------------------ labels, annotations, finalizers, owners
  for (const [i, key] of ['bad key', '-app', 'a/b/c', 'k'.repeat(64), 'Example.com/app', '/app', 'app/', 'app!'].entries())
    add(`label key #${i} ${JSON.stringify(key.slice(0, 20))}`, 'Pod', 'metadata.labels', (m) => (m.metadata.labels = { [key]: 'x' }));
  for (const [i, value] of ['-web', 'v'.repeat(64), 'a b', 'web_', 'a/b', 'é'].entries())
    add(`label value #${i} ${JSON.stringify(value.slice(0, 20))}`, 'Pod', 'metadata.labels', (m) => (m.metadata.labels = { app: value }));
  add('label value is a number', 'Pod', 'metadata.labels[app]', (m) => (m.metadata.labels = { app: 1 }));
  add('labels as a list', 'Pod', 'metadata.labels', (m) => (m.metadata.labels = ['app=web']));
  add('Deployment: bad template label', 'Deployment', 'spec.template.metadata.labels', (m) => (m.spec.template.metadata.labels['bad key'] = 'x'));
  add('Service: bad selector value', 'Service', 'spec.selector', (m) => (m.spec.selector = { app: 'no spaces allowed' }));
  for (const [i, key] of ['a/b/c', 'bad key', '-x'].entries()) add(`annotation key #${i}`, 'Pod', 'metadata.annotations', (m) => (m.metadata.annotations = { [key]: 'x' }));
  add('annotations too large', 'ConfigMap', 'metadata.annotations', (m) => (m.metadata.annotations = { big: 'x'.repeat(300 * 1024) }));
  add('bad finalizer', 'Pod', 'metadata.finalizers[0]', (m) => (m.metadata.finalizers = ['a/b/c']));
  add('finalizers as a string', 'Pod', 'metadata.finalizers', (m) => (m.metadata.finalizers = 'example.com/x'));
  add('owner reference without uid', 'ReplicaSet', 'metadata.ownerReferences[0].uid', (m) => (m.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }]));
  add('owner reference without kind', 'ReplicaSet', 'metadata.ownerReferences[0].kind', (m) => (m.metadata.ownerReferences = [{ apiVersion: 'apps/v1', name: 'web', uid: 'u' }]));
  add('two controllers', 'ReplicaSet', 'metadata.ownerReferences', (m) => {
    m.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'a', uid: '1', controller: true },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'b', uid: '2', controller: true },
    ];
  });
  add('bad creationTimestamp', 'Pod', 'metadata.creationTimestamp', (m) => (m.metadata.creationTimestamp = 'yesterday'));
  add('generation not a number', 'Pod', 'metadata.generation', (m) => (m.metadata.generation = 'first'));

  // ------------------------------------------------------------------ pods: containers
  pod('no containers', 'spec.containers', (s) => (s.containers = []));
  pod('no spec', 'spec', (_s, m) => delete m.spec);
  pod('containers not a list', 'spec.containers', (s) => (s.containers = container()));
  pod('container is null', 'spec.containers[0]', (s) => (s.containers = [null]));
  pod('container without image', 'spec.containers[0].image', (s) => delete s.containers[0].image);
  pod('container without name', 'spec.containers[0].name', (s) => delete s.containers[0].name);
  pod('image with spaces around', 'spec.containers[0].image', (s) => (s.containers[0].image = ' busybox '));
  for (const name of ['App', 'app_1', 'a'.repeat(64), '-app']) podContainer(`container name ${JSON.stringify(name.slice(0, 10))}`, 'name', { name });
  pod('duplicate container names', 'spec.containers[1].name', (s) => s.containers.push(container()));
  pod('second container without image', 'spec.containers[1].image', (s) => s.containers.push({ name: 'side' }));
  for (const port of [0, -1, 65536, 70000]) podContainer(`containerPort ${port}`, 'ports[0].containerPort', { ports: [{ containerPort: port }] });
  for (const port of [-5, 65536]) podContainer(`hostPort ${port}`, 'ports[0].hostPort', { ports: [{ containerPort: 80, hostPort: port }] });
  for (const protocol of ['SCTP', 'tcp', 'HTTP']) podContainer(`port protocol ${protocol}`, 'ports[0].protocol', { ports: [{ containerPort: 80, protocol }] });
  podContainer('duplicate port names', 'ports[1].name', { ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] });
  for (const name of ['HTTP', 'port_1', 'averyveryverylongportname', '1234', 'a--b']) podContainer(`port name ${name}`, 'ports[0].name', { ports: [{ name, containerPort: 80 }] });
  podContainer('second port out of range', 'ports[1].containerPort', { ports: [{ containerPort: 80 }, { containerPort: 99999 }] });
  podContainer('bad hostIP', 'ports[0].hostIP', { ports: [{ containerPort: 80, hostIP: '300.1.1.1' }] });
  pod('same hostPort twice', 'spec.containers[1].ports[0].hostPort', (s) => {
    s.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
    s.containers.push(container({ name: 'side', ports: [{ containerPort: 81, hostPort: 8080 }] }));
  });
  for (const pullPolicy of ['Sometimes', 'always']) podContainer(`imagePullPolicy ${pullPolicy}`, 'imagePullPolicy', { imagePullPolicy: pullPolicy });

  // ------------------------------------------------------------------ pods: resources
  for (const resource of ['cpu', 'memory', 'ephemeral-storage'])
    for (const value of ['lots', '1.2.3', '5 Mi', '1Q', '-1'])
      podContainer(`${resource} limit ${JSON.stringify(value)}`, `resources.limits[${resource}]`, { resources: { limits: { [resource]: value } } });
  for (const value of ['half', '0x10']) podContainer(`cpu request ${value}`, 'resources.requests[cpu]', { resources: { requests: { cpu: value } } });
  podContainer('unknown resource name', 'resources.limits[gpu]', { resources: { limits: { gpu: '1' } } });
  podContainer('unknown request name', 'resources.requests[disk]', { resources: { requests: { disk: '1Gi' } } });
  podContainer('cpu request over limit', 'resources.requests[cpu]', { resources: { requests: { cpu: '2' }, limits: { cpu: '1500m' } } });
  podContainer('memory request over limit', 'resources.requests[memory]', { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } });
  podContainer('resource quantity as a number', 'resources.limits[cpu]', { resources: { limits: { cpu: 1 } } });

  // ------------------------------------------------------------------ pods: probes and env
  podContainer('probe without handler', 'livenessProbe', { livenessProbe: { periodSeconds: 5 } });
  podContainer('probe with two handlers', 'readinessProbe.tcpSocket', { readinessProbe: { httpGet: { port: 80 }, tcpSocket: { port: 80 } } });
  podContainer('probe port 0', 'livenessProbe.httpGet.port', { livenessProbe: { httpGet: { port: 0 } } });
  podContainer('probe port 70000', 'livenessProbe.tcpSocket.port', { livenessProbe: { tcpSocket: { port: 70000 } } });
  podContainer('probe port bad name', 'readinessProbe.httpGet.port', { readinessProbe: { httpGet: { port: 'Not_Valid' } } });
  podContainer('probe port boolean', 'readinessProbe.httpGet.port', { readinessProbe: { httpGet: { port: true } } });
  podContainer('probe scheme FTP', 'livenessProbe.httpGet.scheme', { livenessProbe: { httpGet: { port: 80, scheme: 'FTP' } } });
  podContainer('probe path without slash', 'livenessProbe.httpGet.path', { livenessProbe: { httpGet: { port: 80, path: 'healthz' } } });
  podContainer('exec probe without command', 'startupProbe.exec.command', { startupProbe: { exec: { command: [] } } });
  podContainer('negative periodSeconds', 'livenessProbe.periodSeconds', { livenessProbe: { exec: { command: ['true'] }, periodSeconds: -1 } });
  podContainer('negative initialDelaySeconds', 'readinessProbe.initialDelaySeconds', { readinessProbe: { exec: { command: ['true'] }, initialDelaySeconds: -3 } });
  podContainer('negative failureThreshold', 'livenessProbe.failureThreshold', { livenessProbe: { exec: { command: ['true'] }, failureThreshold: -1 } });
  podContainer('liveness successThreshold 2', 'livenessProbe.successThreshold', { livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } });
  podContainer('readiness probe grace period', 'readinessProbe.terminationGracePeriodSeconds', { readinessProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 5 } });
  podContainer('unknown probe field', 'livenessProbe.httpGett', { livenessProbe: { httpGett: { port: 80 } } });
  for (const name of ['1ABC', 'A=B', 'with space']) podContainer(`env name ${JSON.stringify(name)}`, 'env[0].name', { env: [{ name, value: 'x' }] });
  podContainer('env without name', 'env[0].name', { env: [{ value: 'x' }] });
  podContainer('env value and valueFrom', 'env[0].valueFrom', { env: [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] });
  podContainer('env valueFrom empty', 'env[0].valueFrom', { env: [{ name: 'A', valueFrom: {} }] });
  podContainer('env fieldRef unsupported', 'env[0].valueFrom.fieldRef.fieldPath', { env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }] });
  podContainer('env secretKeyRef without key', 'env[0].valueFrom.secretKeyRef.key', { env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's' } } }] });
  podContainer('env value is a number', 'env[0].value', { env: [{ name: 'PORT', value: 8080 }] });
  podContainer('volume mount of a missing volume', 'volumeMounts[0].name', { volumeMounts: [{ name: 'data', mountPath: '/data' }] });
  pod('volume without type', 'spec.volumes[0]', (s) => (s.volumes = [{ name: 'data' }]));
  pod('duplicate volume names', 'spec.volumes[1].name', (s) => (s.volumes = [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }]));

  // ------------------------------------------------------------------ pods: wrong types and unknown fields
  podContainer('containerPort as a string', 'ports[0].containerPort', { ports: [{ containerPort: '80' }] });
  podContainer('containerPort fractional', 'ports[0].containerPort', { ports: [{ containerPort: 80.5 }] });
  podContainer('image as a number', 'image', { image: 123 });
  podContainer('command as a string', 'command', { command: 'sh -c true' });
  podContainer('args as an object', 'args', { args: { a: 1 } });
  podContainer('stdin as a string', 'stdin', { stdin: 'yes' });
  podContainer('unknown container field imagee', 'imagee', { imagee: 'busybox' });
  podContainer('snake_case container_port', 'ports[0].container_port', { ports: [{ container_port: 80 }] });
  podContainer('unknown field resource', 'resource', { resource: { limits: { cpu: '1' } } });
  pod('unknown spec field', 'spec.restart', (s) => (s.restart = 'Always'));
  pod('snake_case restart_policy', 'spec.restart_policy', (s) => (s.restart_policy = 'Always'));
  pod('unknown status field', 'status.phases', (_s, m) => (m.status = { phases: 'Running' }));
  pod('terminationGracePeriodSeconds as text', 'spec.terminationGracePeriodSeconds', (s) => (s.terminationGracePeriodSeconds = 'thirty'));
  pod('nodeSelector value number', 'spec.nodeSelector[disk]', (s) => (s.nodeSelector = { disk: 1 }));
  pod('spec is a list', 'spec', (_s, m) => (m.spec = [container()]));

  // ------------------------------------------------------------------ pods: scheduling and policy
  for (const policy of ['Sometimes', 'always', 'Restart']) pod(`restartPolicy ${policy}`, 'spec.restartPolicy', (s) => (s.restartPolicy = policy));
  pod('dnsPolicy bad', 'spec.dnsPolicy', (s) => (s.dnsPolicy = 'Google'));
  pod('negative grace period', 'spec.terminationGracePeriodSeconds', (s) => (s.terminationGracePeriodSeconds = -1));
  pod('bad nodeName', 'spec.nodeName', (s) => (s.nodeName = 'Node_1'));
  pod('bad nodeSelector key', 'spec.nodeSelector', (s) => (s.nodeSelector = { 'bad key': 'x' }));
  pod('bad nodeSelector value', 'spec.nodeSelector', (s) => (s.nodeSelector = { disk: '-ssd' }));
  pod('toleration operator', 'spec.tolerations[0].operator', (s) => (s.tolerations = [{ key: 'k', operator: 'Like', value: 'v' }]));
  pod('toleration effect', 'spec.tolerations[0].effect', (s) => (s.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' }]));
  pod('toleration Exists with value', 'spec.tolerations[0].value', (s) => (s.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]));
  pod('toleration empty key with Equal', 'spec.tolerations[0].operator', (s) => (s.tolerations = [{ operator: 'Equal', value: 'v' }]));
  pod('toleration seconds without NoExecute', 'spec.tolerations[0].effect', (s) => (s.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }]));
  pod('toleration bad key', 'spec.tolerations[0].key', (s) => (s.tolerations = [{ key: 'bad key', operator: 'Exists' }]));
  const affinity = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution';
  const requirement = (r: Manifest) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [r] }] } } });
  pod('node affinity operator', `${affinity}.nodeSelectorTerms[0].matchExpressions[0].operator`, (s) => (s.affinity = requirement({ key: 'zone', operator: 'Near', values: ['a'] })));
  pod('node affinity In without values', `${affinity}.nodeSelectorTerms[0].matchExpressions[0].values`, (s) => (s.affinity = requirement({ key: 'zone', operator: 'In' })));
  pod('node affinity Exists with values', `${affinity}.nodeSelectorTerms[0].matchExpressions[0].values`, (s) => (s.affinity = requirement({ key: 'zone', operator: 'Exists', values: ['a'] })));
  pod('node affinity Gt not a number', `${affinity}.nodeSelectorTerms[0].matchExpressions[0].values`, (s) => (s.affinity = requirement({ key: 'cores', operator: 'Gt', values: ['many'] })));
  pod('node affinity bad key', `${affinity}.nodeSelectorTerms[0].matchExpressions[0].key`, (s) => (s.affinity = requirement({ key: 'bad key', operator: 'Exists' })));
  pod('node affinity no terms', `${affinity}.nodeSelectorTerms`, (s) => (s.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }));
  pod('preferred weight 0', 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', (s) => {
    s.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } }] } };
  });

  // ------------------------------------------------------------------ services
  const svc = (name: string, field: string, change: (spec: Loose) => void) => add(`Service: ${name}`, 'Service', field, (m) => change(m.spec));
  svc('no ports', 'spec.ports', (s) => (s.ports = []));
  for (const port of [0, -1, 65536]) svc(`port ${port}`, 'spec.ports[0].port', (s) => (s.ports[0].port = port));
  svc('port as a string', 'spec.ports[0].port', (s) => (s.ports[0].port = '80'));
  svc('second port without name', 'spec.ports[1].name', (s) => s.ports.push({ port: 81 }));
  svc('duplicate port names', 'spec.ports[1].name', (s) => s.ports.push({ name: 'http', port: 81 }));
  svc('duplicate port numbers', 'spec.ports[1]', (s) => s.ports.push({ name: 'other', port: 80 }));
  svc('bad port name', 'spec.ports[0].name', (s) => (s.ports[0].name = 'HTTP'));
  svc('protocol bad', 'spec.ports[0].protocol', (s) => (s.ports[0].protocol = 'ICMP'));
  for (const target of [70000, -1, 'Bad_Name', 'averyveryverylongname']) svc(`targetPort ${target}`, 'spec.ports[0].targetPort', (s) => (s.ports[0].targetPort = target));
  svc('targetPort as an object', 'spec.ports[0].targetPort', (s) => (s.ports[0].targetPort = { intVal: 80 }));
  svc('nodePort on ClusterIP', 'spec.ports[0].nodePort', (s) => (s.ports[0].nodePort = 30080));
  svc('nodePort out of range', 'spec.ports[0].nodePort', (s) => ((s.type = 'NodePort'), (s.ports[0].nodePort = 70000)));
  svc('duplicate nodePorts', 'spec.ports[1].nodePort', (s) => {
    s.type = 'NodePort';
    s.ports = [
      { name: 'a', port: 80, nodePort: 30080 },
      { name: 'b', port: 81, nodePort: 30080 },
    ];
  });
  for (const type of ['LoadBalancer', 'ExternalName', 'clusterip']) svc(`type ${type}`, 'spec.type', (s) => (s.type = type));
  for (const ip of ['10.96.0.300', 'localhost', '10.96.0']) svc(`clusterIP ${ip}`, 'spec.clusterIP', (s) => (s.clusterIP = ip));
  svc('headless NodePort', 'spec.clusterIP', (s) => ((s.type = 'NodePort'), (s.clusterIP = 'None')));
  svc('sessionAffinity bad', 'spec.sessionAffinity', (s) => (s.sessionAffinity = 'Sticky'));
  svc('bad externalIp', 'spec.externalIPs[0]', (s) => (s.externalIPs = ['example.com']));
  svc('clusterIp (not the Kubernetes spelling clusterIP) is an unknown field', 'spec.clusterIp', (s) => (s.clusterIp = '10.96.0.10'));

  // ------------------------------------------------------------------ replica sets and deployments
  for (const kind of ['Deployment', 'ReplicaSet']) {
    const w = (name: string, field: string, change: (spec: Loose) => void) => add(`${kind}: ${name}`, kind, field, (m) => change(m.spec));
    w('negative replicas', 'spec.replicas', (s) => (s.replicas = -1));
    w('replicas as a string', 'spec.replicas', (s) => (s.replicas = '3'));
    w('no selector', 'spec.selector', (s) => delete s.selector);
    w('empty selector', 'spec.selector', (s) => (s.selector = {}));
    w('selector does not match', 'spec.template.metadata.labels', (s) => (s.selector.matchLabels = { app: 'api' }));
    w('selector operator', 'spec.selector.matchExpressions[0].operator', (s) => (s.selector.matchExpressions = [{ key: 'app', operator: 'Equals', values: ['web'] }]));
    w('selector In without values', 'spec.selector.matchExpressions[0].values', (s) => (s.selector.matchExpressions = [{ key: 'app', operator: 'In' }]));
    w('bad selector label', 'spec.selector.matchLabels', (s) => (s.selector.matchLabels = { app: 'web', 'bad key': 'x' }));
    w('no template', 'spec.template', (s) => delete s.template);
    w('template without containers', 'spec.template.spec.containers', (s) => (s.template.spec.containers = []));
    w('template container without image', 'spec.template.spec.containers[0].image', (s) => delete s.template.spec.containers[0].image);
    w('template restartPolicy Never', 'spec.template.spec.restartPolicy', (s) => (s.template.spec.restartPolicy = 'Never'));
    w('template bad memory', 'spec.template.spec.containers[0].resources.requests[memory]', (s) => (s.template.spec.containers[0].resources = { requests: { memory: 'big' } }));
    w('template port out of range', 'spec.template.spec.containers[0].ports[0].containerPort', (s) => (s.template.spec.containers[0].ports[0].containerPort = 0));
    w('negative minReadySeconds', 'spec.minReadySeconds', (s) => (s.minReadySeconds = -1));
    w('unknown spec field', 'spec.replica', (s) => (s.replica = 3));
    w('unknown template field', 'spec.template.spec.containers[0].volumeMount', (s) => (s.template.spec.containers[0].volumeMount = []));
  }
  const d = (name: string, field: string, change: (spec: Loose) => void) => add(`Deployment: ${name}`, 'Deployment', field, (m) => change(m.spec));
  d('strategy type', 'spec.strategy.type', (s) => (s.strategy = { type: 'BlueGreen' }));
  d('maxSurge not a percent', 'spec.strategy.rollingUpdate.maxSurge', (s) => (s.strategy = { rollingUpdate: { maxSurge: 'ten' } }));
  d('maxSurge negative', 'spec.strategy.rollingUpdate.maxSurge', (s) => (s.strategy = { rollingUpdate: { maxSurge: -1 } }));
  d('maxUnavailable over 100%', 'spec.strategy.rollingUpdate.maxUnavailable', (s) => (s.strategy = { rollingUpdate: { maxUnavailable: '150%' } }));
  d('maxUnavailable percent with spaces', 'spec.strategy.rollingUpdate.maxUnavailable', (s) => (s.strategy = { rollingUpdate: { maxUnavailable: '10 %' } }));
  d('both zero', 'spec.strategy.rollingUpdate.maxUnavailable', (s) => (s.strategy = { rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } }));
  d('Recreate with rollingUpdate', 'spec.strategy.rollingUpdate', (s) => (s.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }));
  d('maxSurge as a boolean', 'spec.strategy.rollingUpdate.maxSurge', (s) => (s.strategy = { rollingUpdate: { maxSurge: true } }));
  d('negative revisionHistoryLimit', 'spec.revisionHistoryLimit', (s) => (s.revisionHistoryLimit = -1));
  d('deadline not above minReadySeconds', 'spec.progressDeadlineSeconds', (s) => ((s.minReadySeconds = 30), (s.progressDeadlineSeconds = 30)));
  d('zero deadline', 'spec.progressDeadlineSeconds', (s) => (s.progressDeadlineSeconds = 0));

  // ------------------------------------------------------------------ nodes, namespaces, leases, events, endpoints
  add('Node: taint effect', 'Node', 'spec.taints[0].effect', (m) => (m.spec.taints[0].effect = 'NoRun'));
  add('Node: taint without effect', 'Node', 'spec.taints[0].effect', (m) => delete m.spec.taints[0].effect);
  add('Node: taint without key', 'Node', 'spec.taints[0].key', (m) => delete m.spec.taints[0].key);
  add('Node: taint bad value', 'Node', 'spec.taints[0].value', (m) => (m.spec.taints[0].value = '-gpu'));
  add('Node: duplicate taints', 'Node', 'spec.taints[1]', (m) => m.spec.taints.push({ ...m.spec.taints[0] }));
  add('Node: capacity quantity', 'Node', 'status.capacity[cpu]', (m) => (m.status.capacity.cpu = 'four'));
  add('Node: podCIDR', 'Node', 'spec.podCIDR', (m) => (m.spec.podCIDR = '10.0.0.0/40'));
  add('Namespace: phase', 'Namespace', 'status.phase', (m) => (m.status = { phase: 'Sleeping' }));
  add('Namespace: bad finalizer', 'Namespace', 'spec.finalizers[0]', (m) => (m.spec = { finalizers: ['a/b/c'] }));
  add('Lease: zero duration', 'Lease', 'spec.leaseDurationSeconds', (m) => (m.spec.leaseDurationSeconds = 0));
  add('Lease: negative transitions', 'Lease', 'spec.leaseTransitions', (m) => (m.spec.leaseTransitions = -1));
  add('Lease: renewTime not a timestamp', 'Lease', 'spec.renewTime', (m) => (m.spec.renewTime = 12));
  add('Event: no involvedObject', 'Event', 'involvedObject', (m) => delete m.involvedObject);
  add('Event: involvedObject without kind', 'Event', 'involvedObject.kind', (m) => delete m.involvedObject.kind);
  add('Event: involvedObject without name', 'Event', 'involvedObject.name', (m) => delete m.involvedObject.name);
  add('Event: namespace mismatch', 'Event', 'involvedObject.namespace', (m) => (m.involvedObject.namespace = 'other'));
  add('Event: type', 'Event', 'type', (m) => (m.type = 'Error'));
  add('Event: negative count', 'Event', 'count', (m) => (m.count = -1));
  add('Endpoints: bad ip', 'Endpoints', 'subsets[0].addresses[0].ip', (m) => (m.subsets[0].addresses[0].ip = '1.2.3'));
  add('Endpoints: missing ip', 'Endpoints', 'subsets[0].addresses[0].ip', (m) => delete m.subsets[0].addresses[0].ip);
  add('Endpoints: port 0', 'Endpoints', 'subsets[0].ports[0].port', (m) => (m.subsets[0].ports[0].port = 0));
  add('Endpoints: protocol', 'Endpoints', 'subsets[0].ports[0].protocol', (m) => (m.subsets[0].ports[0].protocol = 'ICMP'));
  add('Endpoints: host port', 'Endpoints', 'subsets[0].addresses[0].hostPorts[0]', (m) => (m.subsets[0].addresses[0].hostPorts = [70000]));

  // ------------------------------------------------------------------ config maps and secrets
  for (const key of ['a b', '..', 'k'.repeat(254), 'a/b', '']) {
    add(`ConfigMap: key ${JSON.stringify(key.slice(0, 10))}`, 'ConfigMap', `data[${key}]`, (m) => (m.data = { [key]: 'x' }));
    add(`Secret: key ${JSON.stringify(key.slice(0, 10))}`, 'Secret', `data[${key}]`, (m) => (m.data = { [key]: 'eA==' }));
  }
  add('ConfigMap: binaryData key', 'ConfigMap', 'binaryData[a b]', (m) => (m.binaryData = { 'a b': 'eA==' }));
  add('ConfigMap: key in data and binaryData', 'ConfigMap', 'binaryData[color]', (m) => (m.binaryData = { color: 'eA==' }));
  add('ConfigMap: binaryData not base64', 'ConfigMap', 'binaryData[logo]', (m) => (m.binaryData = { logo: '***' }));
  add('ConfigMap: data value a number', 'ConfigMap', 'data[replicas]', (m) => (m.data = { replicas: 3 }));
  add('ConfigMap: data a list', 'ConfigMap', 'data', (m) => (m.data = ['a']));
  add('ConfigMap: too much data', 'ConfigMap', 'data', (m) => (m.data = { big: 'x'.repeat(OVERSIZE) }));
  add('Secret: data not base64', 'Secret', 'data[token]', (m) => (m.data = { token: 'not base64!' }));
  add('Secret: stringData bad key', 'Secret', 'data[bad key]', (m) => (m.stringData = { 'bad key': 'x' }));
  add('Secret: stringData value a number', 'Secret', 'stringData[pin]', (m) => (m.stringData = { pin: 1234 }));
  add('Secret: tls without cert', 'Secret', 'data[tls.crt]', (m) => ((m.type = 'kubernetes.io/tls'), (m.data = { 'tls.key': 'a2V5' })));
  add('Secret: dockerconfigjson without key', 'Secret', 'data[.dockerconfigjson]', (m) => (m.type = 'kubernetes.io/dockerconfigjson'));
  add('Secret: too much data', 'Secret', 'data', (m) => (m.stringData = { big: 'x'.repeat(OVERSIZE) }));
  add('Secret: immutable as a string', 'Secret', 'immutable', (m) => (m.immutable = 'true'));

  // ------------------------------------------------------------------ horizontal pod autoscalers
  const hpa = (name: string, field: string, change: (spec: Loose) => void) => add(`HorizontalPodAutoscaler: ${name}`, 'HorizontalPodAutoscaler', field, (m) => change(m.spec));
  hpa('minReplicas 0', 'spec.minReplicas', (s) => (s.minReplicas = 0));
  hpa('maxReplicas below min', 'spec.maxReplicas', (s) => ((s.minReplicas = 3), (s.maxReplicas = 2)));
  hpa('maxReplicas 0', 'spec.maxReplicas', (s) => (s.maxReplicas = 0));
  hpa('no scaleTargetRef', 'spec.scaleTargetRef', (s) => delete s.scaleTargetRef);
  hpa('scaleTargetRef without kind', 'spec.scaleTargetRef.kind', (s) => delete s.scaleTargetRef.kind);
  hpa('scaleTargetRef without name', 'spec.scaleTargetRef.name', (s) => delete s.scaleTargetRef.name);
  hpa('metric type Pods', 'spec.metrics[0].type', (s) => (s.metrics[0].type = 'Pods'));
  hpa('metric without resource', 'spec.metrics[0].resource', (s) => delete s.metrics[0].resource);
  hpa('metric resource disk', 'spec.metrics[0].resource.name', (s) => (s.metrics[0].resource.name = 'disk'));
  hpa('metric without target', 'spec.metrics[0].resource.target', (s) => delete s.metrics[0].resource.target);
  hpa('utilization missing', 'spec.metrics[0].resource.target.averageUtilization', (s) => delete s.metrics[0].resource.target.averageUtilization);
  hpa('utilization 0', 'spec.metrics[0].resource.target.averageUtilization', (s) => (s.metrics[0].resource.target.averageUtilization = 0));
  hpa('target type', 'spec.metrics[0].resource.target.type', (s) => (s.metrics[0].resource.target.type = 'Percent'));
  hpa('averageValue bad quantity', 'spec.metrics[0].resource.target.averageValue', (s) => (s.metrics[0].resource.target = { type: 'AverageValue', averageValue: 'lots' }));
  hpa('behavior selectPolicy', 'spec.behavior.scaleUp.selectPolicy', (s) => (s.behavior = { scaleUp: { selectPolicy: 'Random' } }));
  hpa('behavior policy type', 'spec.behavior.scaleDown.policies[0].type', (s) => (s.behavior = { scaleDown: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 60 }] } }));
  hpa('behavior window too long', 'spec.behavior.scaleDown.stabilizationWindowSeconds', (s) => (s.behavior = { scaleDown: { stabilizationWindowSeconds: 7200 } }));
  hpa('maxReplicas as a string', 'spec.maxReplicas', (s) => (s.maxReplicas = 'ten'));

  // ------------------------------------------------------------------ oversize objects
  pod('oversize args', 'object', (s) => (s.containers[0].args = ['x'.repeat(OVERSIZE)]));
  add('Deployment: oversize template', 'Deployment', 'object', (m) => (m.spec.template.spec.containers[0].command = Array.from({ length: 1100 }, () => 'y'.repeat(1000))));
  add('Event: oversize message', 'Event', 'object', (m) => (m.message = 'z'.repeat(OVERSIZE)));

  // ------------------------------------------------------------------ YAML text
  const yaml = (name: string, text: string, field: string) => out.push({ name: `YAML: ${name}`, manifest: text, field });
  yaml('unclosed flow sequence', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n', 'yaml');
  yaml('duplicate key', 'apiVersion: v1\nkind: Pod\nkind: Pod\nmetadata:\n  name: web\n', 'yaml');
  yaml('bad indentation', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n namespace: default\n', 'yaml');
  yaml('unknown field in YAML', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: default\nspec:\n  containers:\n  - name: app\n    image: busybox\n    imagee: busybox\n', 'spec.containers[0].imagee');
  yaml('port as a quoted string', 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec:\n  ports:\n  - port: "80"\n', 'spec.ports[0].port');
  yaml('a scalar document', 'just text\n', 'apiVersion');
  return out;
}
