/**
 * One realistic, valid manifest per kind, in the canonical manifest form (what
 * manifestFromObject prints back, field for field). CONTRACT: each passes objectFromManifest,
 * applyDefaults and validateObject without error, and round-trips unchanged through
 * objectFromManifest -> manifestFromObject. Useful as fixtures for every team; treat as read-only
 * (structuredClone before changing one).
 */

export type Manifest = Record<string, unknown>;

export const NAMESPACE_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'shop', labels: { team: 'payments', 'example.com/tier': 'gold' }, annotations: { 'example.com/owner': 'ana@example.com' } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
};

export const NODE_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', 'topology.kubernetes.io/zone': 'zone-a' } },
  spec: {
    podCIDR: '10.244.1.0/24',
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  },
  status: {
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    allocatable: { cpu: '3800m', memory: '7Gi', pods: '110' },
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T09:00:00Z' },
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'node-1' },
    ],
    nodeInfo: { machineID: 'abc123', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12', containerRuntimeVersion: 'docker://20.10.24', kubeletVersion: 'v0.1.0', operatingSystem: 'linux', architecture: 'amd64' },
    daemonEndpoints: { kubeletEndpoint: { port: 10250 } },
    images: [{ names: ['127.0.0.1:5000/busybox:latest'], sizeBytes: 2048000 }],
  },
};

export const POD_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'default',
    labels: { app: 'web', tier: 'frontend' },
    annotations: { 'example.com/build': '2024-05-01' },
    finalizers: ['example.com/cleanup'],
  },
  spec: {
    containers: [
      {
        name: 'httpd',
        image: '127.0.0.1:5000/busybox:1.36',
        command: ['httpd'],
        args: ['-f', '-p', '8080', '-h', '/www'],
        workingDir: '/www',
        ports: [
          { name: 'http', containerPort: 8080, hostPort: 30080, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
        ],
        env: [
          { name: 'MODE', value: 'production' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'color' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'token', optional: true } } },
        ],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
        startupProbe: { exec: { command: ['cat', '/www/index.html'] }, timeoutSeconds: 1, periodSeconds: 2, successThreshold: 1, failureThreshold: 30 },
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: [{ name: 'www', mountPath: '/www' }],
      },
      {
        name: 'sidecar',
        image: '127.0.0.1:5000/busybox:latest',
        command: ['sh', '-c', 'while true; do sleep 3600; done'],
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        resources: { requests: { cpu: '10m' } },
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }],
      },
    },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      // Both node-failure tolerations are spelled out, so the apiserver's DefaultTolerationSeconds adds none.
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    dnsPolicy: 'ClusterFirst',
    dnsConfig: { nameservers: ['10.96.0.20'], searches: ['corp.example.com'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
    schedulerName: 'default-scheduler',
    serviceAccountName: 'default',
    enableServiceLinks: true,
    volumes: [{ name: 'www', emptyDir: {} }],
  },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T10:00:05Z' }],
    hostIP: '127.0.0.1',
    podIP: '172.17.0.5',
    podIPs: [{ ip: '172.17.0.5' }],
    startTime: '2024-05-01T10:00:00Z',
    containerStatuses: [
      {
        name: 'httpd',
        state: { running: { startedAt: '2024-05-01T10:00:02Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2024-05-01T09:59:00Z', finishedAt: '2024-05-01T10:00:01Z', containerID: 'docker://1234' } },
        ready: true,
        restartCount: 1,
        image: '127.0.0.1:5000/busybox:1.36',
        imageID: 'sha256:abcd',
        containerID: 'docker://5678',
        started: true,
      },
    ],
  },
};

export const SERVICE_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
      { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090 },
    ],
    clusterIP: '10.96.0.20',
    clusterIPs: ['10.96.0.20'],
    sessionAffinity: 'ClientIP',
  },
};

export const ENDPOINTS_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  subsets: [
    {
      addresses: [
        { ip: '172.17.0.5', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web', uid: '0f6b3c1e-8d2a-4c55-9a43-3b1f0c9d2e11' }, hostIP: '127.0.0.1', hostPorts: [30080] },
      ],
      notReadyAddresses: [{ ip: '172.17.0.6', nodeName: 'node-2', hostIP: '127.0.0.2', hostPorts: [30081] }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ],
};

export const EVENT_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web.17c8d2a1b3f4', namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: '0f6b3c1e-8d2a-4c55-9a43-3b1f0c9d2e11', apiVersion: 'v1', fieldPath: 'spec.containers{httpd}' },
  reason: 'Pulled',
  message: 'Container image "127.0.0.1:5000/busybox:1.36" already present on machine',
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: '2024-05-01T10:00:01Z',
  lastTimestamp: '2024-05-01T10:00:01Z',
  count: 1,
  type: 'Normal',
  reportingComponent: 'kubelet',
  reportingInstance: 'node-1',
};

export const CONFIGMAP_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'web-config', namespace: 'default' },
  data: { color: 'blue', 'nginx.conf': 'server {\n  listen 80;\n}\n' },
  binaryData: { 'logo.png': 'iVBORw0KGgo=' },
};

export const SECRET_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'web-secret', namespace: 'default' },
  type: 'Opaque',
  data: { token: 'czNjcjN0', 'tls.key': 'a2V5' },
  immutable: true,
};

const TEMPLATE = {
  metadata: { labels: { app: 'web', tier: 'frontend' } },
  spec: {
    containers: [
      {
        name: 'httpd',
        image: '127.0.0.1:5000/busybox:1.36',
        command: ['httpd', '-f', '-p', '8080'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '64Mi' } },
        readinessProbe: { httpGet: { path: '/', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
  },
};

export const REPLICASET_EXAMPLE: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name: 'web-5d9c8b7f6',
    namespace: 'default',
    labels: { app: 'web', tier: 'frontend' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '7c1d9e2f-3a4b-4c5d-8e9f-0a1b2c3d4e5f', controller: true, blockOwnerDeletion: true }],
  },
  spec: {
    replicas: 3,
    minReadySeconds: 5,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }] },
    template: TEMPLATE,
  },
  status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
};

export const DEPLOYMENT_EXAMPLE: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: TEMPLATE,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '50%' } },
    minReadySeconds: 5,
    revisionHistoryLimit: 5,
    progressDeadlineSeconds: 300,
  },
  status: {
    observedGeneration: 2,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastUpdateTime: '2024-05-01T10:01:00Z', lastTransitionTime: '2024-05-01T10:01:00Z' }],
  },
};

export const LEASE_EXAMPLE: Manifest = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'node-1', namespace: 'skiff-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: '5e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b' }] },
  spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, acquireTime: '2024-05-01T09:00:00.250Z', renewTime: '2024-05-01T10:00:00.500Z', leaseTransitions: 2 },
};

export const HPA_EXAMPLE: Manifest = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
    ],
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    },
  },
  status: { observedGeneration: 1, lastScaleTime: '2024-05-01T10:05:00Z', currentReplicas: 3, desiredReplicas: 3 },
};

/** The Kubernetes docs' `pi` Job, Indexed, as a user writes it (the apiserver generates the selector). */
export const JOB_EXAMPLE: Manifest = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', namespace: 'default', labels: { app: 'pi' } },
  spec: {
    parallelism: 2,
    completions: 5,
    completionMode: 'Indexed',
    backoffLimit: 4,
    activeDeadlineSeconds: 600,
    ttlSecondsAfterFinished: 100,
    suspend: false,
    podFailurePolicy: {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'pi', operator: 'In', values: [42] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ],
    },
    template: {
      metadata: { labels: { app: 'pi' } },
      spec: {
        restartPolicy: 'Never',
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'pi',
            image: 'perl:5.34.0',
            imagePullPolicy: 'IfNotPresent',
            command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'],
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
      },
    },
  },
  status: {
    startTime: '2024-05-01T10:00:00Z',
    active: 2,
    ready: 2,
    succeeded: 3,
    failed: 1,
    completedIndexes: '0-2',
    uncountedTerminatedPods: {},
  },
};

export const CRONJOB_EXAMPLE: Manifest = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'hello', namespace: 'default' },
  spec: {
    schedule: '* * * * *',
    timeZone: 'Etc/UTC',
    startingDeadlineSeconds: 200,
    concurrencyPolicy: 'Forbid',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      spec: {
        template: {
          spec: {
            restartPolicy: 'OnFailure',
            dnsPolicy: 'ClusterFirst',
            enableServiceLinks: true,
            schedulerName: 'default-scheduler',
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'hello',
                image: 'busybox:1.28',
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster'],
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'File',
              },
            ],
          },
        },
      },
    },
  },
  status: { active: [{ kind: 'Job', namespace: 'default', name: 'hello-29000000', uid: '7d1e4c3b-2a19-4f08-9e7d-6c5b4a392817', apiVersion: 'batch/v1' }], lastScheduleTime: '2024-05-01T10:00:00Z', lastSuccessfulTime: '2024-05-01T09:59:07Z' },
};

/** The Kubernetes docs' fluentd-elasticsearch DaemonSet (controllers/daemonset.yaml), defaulted. */
export const DAEMONSET_EXAMPLE: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'fluentd-elasticsearch', namespace: 'kube-system', labels: { 'k8s-app': 'fluentd-logging' } },
  spec: {
    selector: { matchLabels: { name: 'fluentd-elasticsearch' } },
    template: {
      metadata: { labels: { name: 'fluentd-elasticsearch' } },
      spec: {
        tolerations: [
          { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
        ],
        containers: [
          {
            name: 'fluentd-elasticsearch',
            image: 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2',
            imagePullPolicy: 'IfNotPresent',
            resources: { limits: { memory: '200Mi' }, requests: { cpu: '100m', memory: '200Mi' } },
            volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }],
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        terminationGracePeriodSeconds: 30,
        volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        enableServiceLinks: true,
      },
    },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    revisionHistoryLimit: 10,
  },
  status: { currentNumberScheduled: 2, desiredNumberScheduled: 2, numberReady: 2, observedGeneration: 1, updatedNumberScheduled: 2, numberAvailable: 2 },
};

export const CONTROLLER_REVISION_EXAMPLE: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: {
    name: 'web-6c5d8f9b7d',
    namespace: 'default',
    labels: { app: 'web', 'controller-revision-hash': '6c5d8f9b7d' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: '2b7c9d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', controller: true, blockOwnerDeletion: true }],
  },
  data: { spec: { template: TEMPLATE } },
  revision: 2,
};

export const PDB_EXAMPLE: Manifest = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web-pdb', namespace: 'default' },
  spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } }, unhealthyPodEvictionPolicy: 'IfHealthyBudget' },
  status: { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', lastTransitionTime: '2024-05-01T10:00:00Z' }] },
};

/** The Kubernetes docs' `web` StatefulSet (StatefulSet concepts page), defaulted. */
export const STATEFULSET_EXAMPLE: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'nginx' } },
    serviceName: 'nginx',
    replicas: 3,
    minReadySeconds: 10,
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        terminationGracePeriodSeconds: 10,
        containers: [
          {
            name: 'nginx',
            image: 'registry.k8s.io/nginx-slim:0.24',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 80, name: 'web', protocol: 'TCP' }],
            volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }],
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        enableServiceLinks: true,
      },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: 'www' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'my-storage-class', resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
      },
    ],
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    revisionHistoryLimit: 10,
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
  },
  status: { observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'web-7b5c9f6d8', updateRevision: 'web-7b5c9f6d8', availableReplicas: 3 },
};

export const PVC_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'www-web-0', namespace: 'default', labels: { app: 'nginx' } },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeMode: 'Filesystem' },
  status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
};

export const PV_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: 'pvc-3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Delete',
    storageClassName: 'local-path',
    volumeMode: 'Filesystem',
    claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'www-web-0', uid: '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', apiVersion: 'v1' },
    local: { path: '/var/lib/skiff/storage/pvc-3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d_default_www-web-0' },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } },
  },
  status: { phase: 'Bound' },
};

export const STORAGECLASS_EXAMPLE: Manifest = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'skiff.io/local-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

/** Every example, keyed by kind ("Pod", "Deployment", ...): one per kind in KINDS. */
export const SERVICE_ACCOUNT_EXAMPLE: Manifest = {
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'build-robot', namespace: 'default', labels: { app: 'ci' } },
  imagePullSecrets: [{ name: 'registry-credentials' }],
};

export const EXAMPLE_MANIFESTS: Readonly<Record<string, Manifest>> = {
  Namespace: NAMESPACE_EXAMPLE,
  Node: NODE_EXAMPLE,
  Pod: POD_EXAMPLE,
  Service: SERVICE_EXAMPLE,
  Endpoints: ENDPOINTS_EXAMPLE,
  Event: EVENT_EXAMPLE,
  ConfigMap: CONFIGMAP_EXAMPLE,
  Secret: SECRET_EXAMPLE,
  ServiceAccount: SERVICE_ACCOUNT_EXAMPLE,
  ReplicaSet: REPLICASET_EXAMPLE,
  Deployment: DEPLOYMENT_EXAMPLE,
  Lease: LEASE_EXAMPLE,
  HorizontalPodAutoscaler: HPA_EXAMPLE,
  Job: JOB_EXAMPLE,
  CronJob: CRONJOB_EXAMPLE,
  DaemonSet: DAEMONSET_EXAMPLE,
  ControllerRevision: CONTROLLER_REVISION_EXAMPLE,
  PodDisruptionBudget: PDB_EXAMPLE,
  StatefulSet: STATEFULSET_EXAMPLE,
  PersistentVolumeClaim: PVC_EXAMPLE,
  PersistentVolume: PV_EXAMPLE,
  StorageClass: STORAGECLASS_EXAMPLE,
};
