import type { Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, ensureTestImages, testLabel, waitFor } from '@skiff/testing';
import { httpGet, isRunning, startE2eCluster, type E2eCluster } from './e2e-fixture';
import { buildNginxStandIn, NGINX_STAND_IN } from './nginx-stand-in';

/**
 * Issue 11's acceptance 11: the examples of the Kubernetes docs' task pages, applied with the built
 * CLI as the pages apply them, unmodified except for their images, and checked for what each page
 * says the reader sees (logs, `kubectl exec` output, status). One cluster (built apiserver,
 * scheduler, controller-manager, proxy with cluster DNS, two Docker kubelets) serves every page;
 * pods go wherever the scheduler puts them, as on the pages.
 *
 * Images, by role: busybox, debian and google-samples' hello-app become TEST_IMAGE (busybox; its
 * default command is httpd on 8080, a web server like hello-app); nginx becomes NGINX, built here
 * from TEST_IMAGE: /usr/sbin/nginx runs busybox httpd on port 80 over /usr/share/nginx/html, and
 * `nginx -s quit` stops it as nginx's does (what the lifecycle page's preStop hook runs).
 *
 * Where a page cannot run as written here, the test says so beside the change:
 * - init-containers.yaml downloads http://info.cern.ch: the internet is out of reach, so the URL
 *   names a pod of this cluster serving a page instead (and busybox-static's wget cannot resolve
 *   names, only addresses);
 * - the Init Containers page's myapp-pod reads its namespace from the ServiceAccount token volume
 *   (`nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc...`),
 *   which comes with the security issue: the namespace (default) is written in instead. The page's
 *   earlier form (`nslookup myservice`, a short name through the search list) needs busybox 1.28:
 *   later busybox nslookup, as in TEST_IMAGE, ignores the search list;
 * - the downward-API env pods print with `printenv`, which TEST_IMAGE's busybox lacks (their logs
 *   say "printenv: not found"): their variables are read with the shell through `skiff exec`;
 * - `kubectl create configmap|secret --from-literal` has no skiff equivalent: the same objects are
 *   applied as manifests.
 */
const run = testLabel().value;
const NODES = [`docs-${run}-1`, `docs-${run}-2`];
const NS = 'default';
/** The nginx stand-in (see the header and nginx-stand-in.ts), in the local registry so that pods pull it. */
const NGINX = NGINX_STAND_IN;
const BUSYBOX = TEST_IMAGE;
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  await ensureTestImages();
  buildNginxStandIn();
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    proxy: {},
    kubeletArgs: ['--backoff-base', '0.5', '--backoff-max', '2', '--lease-interval', '1', '--resync-interval', '10'],
  });
  pods = e2e.typed('pod');
}, 240_000);

afterAll(() => e2e?.stop(), 60_000);

const skiff = (...args: string[]) => e2e.cli(args, 30_000);
const exec = (pod: string, script: string, container?: string) => skiff('exec', pod, ...(container ? ['-c', container] : []), '--', 'sh', '-c', script);
const logs = (pod: string, container?: string) => skiff('logs', pod, ...(container ? ['-c', container] : []));
/** The STATUS column of `skiff get pod NAME`, as the pages read kubectl's. */
const statusColumn = async (name: string) => (await skiff('get', 'pod', name)).split('\n')[1]?.trim().split(/\s+/)[2] ?? '';

function waitRunning(name: string, timeoutMs = 30_000): Promise<Pod> {
  return waitFor(`${name} to run`, async () => {
    const pod = await pods.get(NS, name);
    return isRunning(pod) ? pod : undefined;
  }, { timeoutMs, intervalMs: 100 });
}

function waitPhase(name: string, phase: string, timeoutMs = 30_000): Promise<Pod> {
  return waitFor(`${name} to reach ${phase}`, async () => {
    const pod = await pods.get(NS, name);
    return pod.status?.phase === phase ? pod : undefined;
  }, { timeoutMs, intervalMs: 100 });
}

/** Waits until the container's log matches `pattern`; resolves with the whole log, rejects with the last one seen. */
async function waitLogs(pod: string, pattern: RegExp, container?: string, timeoutMs = 20_000): Promise<string> {
  let last = '';
  try {
    return await waitFor(`the logs of ${pod} to match ${pattern}`, async () => {
      last = await logs(pod, container).catch((err: Error) => `(no logs: ${err.message})`);
      return pattern.test(last) ? last : undefined;
    }, { timeoutMs, intervalMs: 200 });
  } catch (err) {
    throw new Error(`${(err as Error).message}; the last logs: ${JSON.stringify(last)}`);
  }
}

/** Deletes the pods (through the API: the pages' `kubectl delete` is not what they show) and waits until they are gone. */
async function deleteAndWaitGone(...names: string[]): Promise<void> {
  await Promise.all(names.map((name) => pods.delete(NS, name)));
  await Promise.all(names.map((name) => waitFor(`${name} to be gone`, async () => !(await pods.get(NS, name).catch(() => undefined)), { timeoutMs: 45_000, intervalMs: 100 })));
}

/** Applies a page's pod (all named dapi-test-pod on the ConfigMap page), waits for it to succeed and returns its log. */
async function runToCompletion(file: string, yaml: string, name: string): Promise<string> {
  await e2e.apply(file, yaml);
  await waitPhase(name, 'Succeeded');
  const out = await logs(name);
  await deleteAndWaitGone(name);
  return out;
}

describe('the Kubernetes docs examples run unmodified', () => {
  it('Configure a Pod to Use a ConfigMap: env from one and several ConfigMaps, envFrom, $(VAR) in the command, a volume and a key at a path', async () => {
    // configmap/configmaps.yaml
    await e2e.apply('configmaps.yaml', `
apiVersion: v1
kind: ConfigMap
metadata:
  name: special-config
  namespace: default
data:
  special.how: very
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: env-config
  namespace: default
data:
  log_level: INFO
`);
    // pods/pod-single-configmap-env-variable.yaml: "the Pod's output includes SPECIAL_LEVEL_KEY=very"
    expect(await runToCompletion('pod-single-configmap-env-variable.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "/bin/sh", "-c", "env" ]
      env:
        # Define the environment variable
        - name: SPECIAL_LEVEL_KEY
          valueFrom:
            configMapKeyRef:
              # The ConfigMap containing the value you want to assign to SPECIAL_LEVEL_KEY
              name: special-config
              # Specify the key associated with the value
              key: special.how
  restartPolicy: Never
`, 'dapi-test-pod')).toMatch(/^SPECIAL_LEVEL_KEY=very$/m);

    // pods/pod-multiple-configmap-env-variable.yaml: "SPECIAL_LEVEL_KEY=very and LOG_LEVEL=INFO"
    const multiple = await runToCompletion('pod-multiple-configmap-env-variable.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "/bin/sh", "-c", "env" ]
      env:
        - name: SPECIAL_LEVEL_KEY
          valueFrom:
            configMapKeyRef:
              name: special-config
              key: special.how
        - name: LOG_LEVEL
          valueFrom:
            configMapKeyRef:
              name: env-config
              key: log_level
  restartPolicy: Never
`, 'dapi-test-pod');
    expect(multiple).toMatch(/^SPECIAL_LEVEL_KEY=very$/m);
    expect(multiple).toMatch(/^LOG_LEVEL=INFO$/m);
    // The page's interim cleanup.
    await skiff('delete', 'configmap', 'special-config', 'env-config');

    // configmap/configmap-multikeys.yaml
    await e2e.apply('configmap-multikeys.yaml', `
apiVersion: v1
kind: ConfigMap
metadata:
  name: special-config
  namespace: default
data:
  SPECIAL_LEVEL: very
  SPECIAL_TYPE: charm
`);
    // pods/pod-configmap-envFrom.yaml: "SPECIAL_LEVEL=very and SPECIAL_TYPE=charm"
    const envFrom = await runToCompletion('pod-configmap-envFrom.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "/bin/sh", "-c", "env" ]
      envFrom:
      - configMapRef:
          name: special-config
  restartPolicy: Never
`, 'dapi-test-pod');
    expect(envFrom).toMatch(/^SPECIAL_LEVEL=very$/m);
    expect(envFrom).toMatch(/^SPECIAL_TYPE=charm$/m);

    // pods/pod-configmap-env-var-valueFrom.yaml: "very charm"
    expect(await runToCompletion('pod-configmap-env-var-valueFrom.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "/bin/echo", "$(SPECIAL_LEVEL_KEY) $(SPECIAL_TYPE_KEY)" ]
      env:
        - name: SPECIAL_LEVEL_KEY
          valueFrom:
            configMapKeyRef:
              name: special-config
              key: SPECIAL_LEVEL
        - name: SPECIAL_TYPE_KEY
          valueFrom:
            configMapKeyRef:
              name: special-config
              key: SPECIAL_TYPE
  restartPolicy: Never
`, 'dapi-test-pod')).toBe('very charm\n');

    // pods/pod-configmap-volume.yaml: "ls /etc/config/" prints SPECIAL_LEVEL SPECIAL_TYPE
    expect(await runToCompletion('pod-configmap-volume.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "/bin/sh", "-c", "ls /etc/config/" ]
      volumeMounts:
      - name: config-volume
        mountPath: /etc/config
  volumes:
    - name: config-volume
      configMap:
        # Provide the name of the ConfigMap containing the files you want
        # to add to the container
        name: special-config
  restartPolicy: Never
`, 'dapi-test-pod')).toBe('SPECIAL_LEVEL\nSPECIAL_TYPE\n');

    // pods/pod-configmap-volume-specific-key.yaml: "cat /etc/config/keys" prints very
    expect(await runToCompletion('pod-configmap-volume-specific-key.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "/bin/sh","-c","cat /etc/config/keys" ]
      volumeMounts:
      - name: config-volume
        mountPath: /etc/config
  volumes:
    - name: config-volume
      configMap:
        name: special-config
        items:
        - key: SPECIAL_LEVEL
          path: keys
  restartPolicy: Never
`, 'dapi-test-pod')).toBe('very');
    await skiff('delete', 'configmap', 'special-config');
  }, 120_000);

  it('Distribute Credentials Securely Using Secrets: a Secret as a volume, as env (one and several Secrets) and with envFrom', async () => {
    // pods/inject/secret.yaml, and the Secrets the page makes with `kubectl create secret generic --from-literal`.
    await e2e.apply('secret.yaml', `
apiVersion: v1
kind: Secret
metadata:
  name: test-secret
data:
  username: bXktYXBw
  password: Mzk1MjgkdmRnN0pi
---
apiVersion: v1
kind: Secret
metadata: {name: backend-user}
stringData: {backend-username: backend-admin}
---
apiVersion: v1
kind: Secret
metadata: {name: db-user}
stringData: {db-username: db-admin}
`);
    // pods/inject/secret-pod.yaml, secret-envars-pod.yaml, pod-single-secret-env-variable.yaml,
    // pod-multiple-secret-env-variable.yaml, pod-secret-envFrom.yaml
    await e2e.apply('secret-pods.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: secret-test-pod
spec:
  containers:
    - name: test-container
      image: ${NGINX}
      volumeMounts:
        # name must match the volume name below
        - name: secret-volume
          mountPath: /etc/secret-volume
          readOnly: true
  # The secret data is exposed to Containers in the Pod through a Volume.
  volumes:
    - name: secret-volume
      secret:
        secretName: test-secret
---
apiVersion: v1
kind: Pod
metadata:
  name: secret-envars-test-pod
spec:
  containers:
  - name: envars-test-container
    image: ${NGINX}
    env:
    - name: SECRET_USERNAME
      valueFrom:
        secretKeyRef:
          name: test-secret
          key: username
    - name: SECRET_PASSWORD
      valueFrom:
        secretKeyRef:
          name: test-secret
          key: password
---
apiVersion: v1
kind: Pod
metadata:
  name: env-single-secret
spec:
  containers:
  - name: envars-test-container
    image: ${NGINX}
    env:
    - name: SECRET_USERNAME
      valueFrom:
        secretKeyRef:
          name: backend-user
          key: backend-username
---
apiVersion: v1
kind: Pod
metadata:
  name: envvars-multiple-secrets
spec:
  containers:
  - name: envars-test-container
    image: ${NGINX}
    env:
    - name: BACKEND_USERNAME
      valueFrom:
        secretKeyRef:
          name: backend-user
          key: backend-username
    - name: DB_USERNAME
      valueFrom:
        secretKeyRef:
          name: db-user
          key: db-username
---
apiVersion: v1
kind: Pod
metadata:
  name: envfrom-secret
spec:
  containers:
  - name: envars-test-container
    image: ${NGINX}
    envFrom:
    - secretRef:
        name: test-secret
`);
    const names = ['secret-test-pod', 'secret-envars-test-pod', 'env-single-secret', 'envvars-multiple-secrets', 'envfrom-secret'];
    await Promise.all(names.map((name) => waitRunning(name)));
    // "ls /etc/secret-volume" shows password username; the files hold my-app and 39528$vdg7Jb.
    expect((await exec('secret-test-pod', 'ls /etc/secret-volume')).split(/\s+/).filter(Boolean)).toEqual(['password', 'username']);
    expect(await exec('secret-test-pod', 'cd /etc/secret-volume; echo "$( cat username )"; echo "$( cat password )"')).toBe('my-app\n39528$vdg7Jb\n');
    expect(await exec('secret-envars-test-pod', 'echo $SECRET_USERNAME; echo $SECRET_PASSWORD')).toBe('my-app\n39528$vdg7Jb\n');
    expect(await exec('env-single-secret', 'echo $SECRET_USERNAME')).toBe('backend-admin\n');
    expect(await exec('envvars-multiple-secrets', 'env | grep _USERNAME | sort')).toBe('BACKEND_USERNAME=backend-admin\nDB_USERNAME=db-admin\n');
    expect(await exec('envfrom-secret', 'echo "username: $username"; echo "password: $password"')).toBe('username: my-app\npassword: 39528$vdg7Jb\n');
    await skiff('delete', 'pod', ...names, '--wait=false');
  }, 90_000);

  it('Communicate Between Containers in the Same Pod Using a Shared Volume: debian writes index.html, nginx serves it', async () => {
    // pods/two-container-pod.yaml (nginx -> NGINX, debian -> busybox)
    await e2e.apply('two-container-pod.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: two-containers
spec:

  restartPolicy: Never

  volumes:
  - name: shared-data
    emptyDir: {}

  containers:

  - name: nginx-container
    image: ${NGINX}
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/nginx/html

  - name: debian-container
    image: ${BUSYBOX}
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the debian container > /pod-data/index.html"]
`);
    // "the debian Container has terminated, and the nginx Container is still running"
    const pod = await waitFor('debian-container to terminate while nginx-container runs', async () => {
      const p = await pods.get(NS, 'two-containers');
      const byName = new Map(p.status?.containerStatuses.map((c) => [c.name, c]));
      return byName.get('debian-container')?.state?.terminated?.reason === 'Completed' && byName.get('nginx-container')?.state?.running ? p : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    expect(pod.status?.phase).toBe('Running');
    // "ps aux" in nginx-container shows nginx; "curl localhost" prints the debian container's page.
    expect(await exec('two-containers', 'ps', 'nginx-container')).toMatch(/^\s*1 root .*nginx/m);
    expect(await exec('two-containers', 'cat /usr/share/nginx/html/index.html', 'nginx-container')).toBe('Hello from the debian container\n');
    expect(await httpGet(pod.status?.podIP ?? '', 80)).toBe('Hello from the debian container');
    await skiff('delete', 'pod', 'two-containers', '--wait=false');
  }, 60_000);

  it('Define Dependent Environment Variables: SERVICE_ADDRESS is expanded, UNCHANGED_REFERENCE and ESCAPED_REFERENCE keep $(PROTOCOL)', async () => {
    // pods/inject/dependent-envars.yaml
    await e2e.apply('dependent-envars.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: dependent-envars-demo
spec:
  containers:
    - name: dependent-envars-demo
      args:
        - while true; do echo -en '\\n'; printf UNCHANGED_REFERENCE=$UNCHANGED_REFERENCE'\\n'; printf SERVICE_ADDRESS=$SERVICE_ADDRESS'\\n';printf ESCAPED_REFERENCE=$ESCAPED_REFERENCE'\\n'; sleep 30; done;
      command:
        - sh
        - -c
      image: ${BUSYBOX}
      env:
        - name: SERVICE_PORT
          value: "80"
        - name: SERVICE_IP
          value: "172.17.0.1"
        - name: UNCHANGED_REFERENCE
          value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
        - name: PROTOCOL
          value: "https"
        - name: SERVICE_ADDRESS
          value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
        - name: ESCAPED_REFERENCE
          value: "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
`);
    const out = await waitLogs('dependent-envars-demo', /ESCAPED_REFERENCE=/);
    expect(out).toBe('\nUNCHANGED_REFERENCE=$(PROTOCOL)://172.17.0.1:80\nSERVICE_ADDRESS=https://172.17.0.1:80\nESCAPED_REFERENCE=$(PROTOCOL)://172.17.0.1:80\n');
    // sh as PID 1 ignores SIGTERM: the pod takes its whole grace period (30 s) to go; nobody waits.
    await skiff('delete', 'pod', 'dependent-envars-demo', '--wait=false');
  }, 60_000);

  it('Configure a Security Context for a Pod or Container: runAsUser/runAsGroup/fsGroup/supplementalGroups, the container winning, and capabilities', async () => {
    // pods/security/security-context.yaml, -2, -3 and -4 (hello-app -> busybox, whose default command is a web server)
    await e2e.apply('security-context.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
  volumes:
  - name: sec-ctx-vol
    emptyDir: {}
  containers:
  - name: sec-ctx-demo
    image: ${BUSYBOX}
    command: [ "sh", "-c", "sleep 1h" ]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
    securityContext:
      allowPrivilegeEscalation: false
---
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo-2
spec:
  securityContext:
    runAsUser: 1000
  containers:
  - name: sec-ctx-demo-2
    image: ${BUSYBOX}
    securityContext:
      runAsUser: 2000
      allowPrivilegeEscalation: false
---
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo-3
spec:
  containers:
  - name: sec-ctx-3
    image: ${BUSYBOX}
---
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo-4
spec:
  containers:
  - name: sec-ctx-4
    image: ${BUSYBOX}
    securityContext:
      capabilities:
        add: ["NET_ADMIN", "SYS_TIME"]
`);
    const names = ['security-context-demo', 'security-context-demo-2', 'security-context-demo-3', 'security-context-demo-4'];
    await Promise.all(names.map((name) => waitRunning(name)));
    // "ps": the processes run as user 1000.
    expect(await exec('security-context-demo', 'ps')).toMatch(/^\s*1 1000\s+sleep 1h$/m);
    // "ls -l" in /data: demo belongs to group 2000 (drwxrwsrwx); a file written there is 1000:2000.
    expect(await exec('security-context-demo', 'stat -c "%A %g" /data/demo')).toBe('drwxrwsrwx 2000\n');
    expect(await exec('security-context-demo', 'cd /data/demo && echo hello > testfile && stat -c "%A %u %g %s" testfile')).toBe('-rw-r--r-- 1000 2000 6\n');
    // "id": uid=1000 gid=3000 groups=2000,3000,4000 (busybox prints the primary group first).
    const id = await exec('security-context-demo', 'id');
    expect(id).toMatch(/^uid=1000 gid=3000 groups=/);
    expect(id.trim().split('groups=')[1]?.split(',').sort()).toEqual(['2000', '3000', '4000']);
    // The container's runAsUser wins: "ps aux" shows user 2000.
    expect(await exec('security-context-demo-2', 'ps')).toMatch(/^\s*1 2000\s/m);
    // /proc/1/status: the runtime's default capabilities, then NET_ADMIN (bit 12) and SYS_TIME (bit 25) added.
    expect(await exec('security-context-demo-3', 'grep -E "^Cap(Prm|Eff)" /proc/1/status')).toBe('CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n');
    expect(await exec('security-context-demo-4', 'grep -E "^Cap(Prm|Eff)" /proc/1/status')).toBe('CapPrm:\t00000000aa0435fb\nCapEff:\t00000000aa0435fb\n');
    await skiff('delete', 'pod', ...names, '--wait=false');
  }, 60_000);

  it('Attach Handlers to Container Lifecycle Events: postStart writes /usr/share/message, preStop quits nginx before the grace period ends', async () => {
    // pods/lifecycle-events.yaml
    await e2e.apply('lifecycle-events.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: lifecycle-demo
spec:
  containers:
  - name: lifecycle-demo-container
    image: ${NGINX}
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo Hello from the postStart handler > /usr/share/message"]
      preStop:
        exec:
          command: ["/bin/sh","-c","nginx -s quit; while killall -0 nginx; do sleep 1; done"]
`);
    await waitRunning('lifecycle-demo');
    expect(await exec('lifecycle-demo', 'cat /usr/share/message')).toBe('Hello from the postStart handler\n');
    // The default grace period is 30 s; the preStop hook's quit ends nginx (and the pod) well before.
    const started = Date.now();
    await deleteAndWaitGone('lifecycle-demo');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('Init Containers: init-demo fills nginx\'s page before it starts; myapp-pod stays Init:0/2 until its Services exist in cluster DNS', async () => {
    // The stand-in for info.cern.ch: a pod serving a page (busybox httpd on 8080, /www).
    await e2e.apply('info-page.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: info-page}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${BUSYBOX}
    command: [sh, -c, 'echo "http://info.cern.ch - home of the first website" > /www/index.html && exec httpd -f -p 8080 -h /www']
`);
    const info = await waitRunning('info-page');
    // pods/init-containers.yaml (the URL -> the stand-in's address, see the header)
    await e2e.apply('init-containers.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: init-demo
spec:
  containers:
  - name: nginx
    image: ${NGINX}
    ports:
    - containerPort: 80
    volumeMounts:
    - name: workdir
      mountPath: /usr/share/nginx/html
  # These containers are run during pod initialization
  initContainers:
  - name: install
    image: ${BUSYBOX}
    command:
    - wget
    - "-O"
    - "/work-dir/index.html"
    - http://${info.status?.podIP}:8080
    volumeMounts:
    - name: workdir
      mountPath: "/work-dir"
  dnsPolicy: Default
  volumes:
  - name: workdir
    emptyDir: {}
`);
    const demo = await waitRunning('init-demo');
    // "curl localhost" in the nginx container: the downloaded page.
    expect(await httpGet(demo.status?.podIP ?? '', 80)).toBe('http://info.cern.ch - home of the first website');
    expect(demo.status?.initContainerStatuses.find((c) => c.name === 'install')?.state?.terminated?.reason).toBe('Completed');

    // The Init Containers concept page's myapp-pod, its namespace written in (see the header).
    const myapp = await e2e.apply('myapp.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app.kubernetes.io/name: MyApp
spec:
  containers:
  - name: myapp-container
    image: ${BUSYBOX}
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init-myservice
    image: ${BUSYBOX}
    command: ['sh', '-c', "until nslookup myservice.default.svc.cluster.local; do echo waiting for myservice; sleep 2; done"]
  - name: init-mydb
    image: ${BUSYBOX}
    command: ['sh', '-c', "until nslookup mydb.default.svc.cluster.local; do echo waiting for mydb; sleep 2; done"]
`);
    // "kubectl get -f myapp.yaml": Init:0/2; "kubectl logs myapp-pod -c init-myservice": waiting.
    await waitFor('myapp-pod to show Init:0/2', async () => (await statusColumn('myapp-pod')) === 'Init:0/2', { timeoutMs: 20_000, intervalMs: 200 });
    await waitLogs('myapp-pod', /waiting for myservice/, 'init-myservice');
    expect(await statusColumn('myapp-pod')).toBe('Init:0/2');
    await e2e.apply('services.yaml', `
---
apiVersion: v1
kind: Service
metadata:
  name: myservice
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: 9376
---
apiVersion: v1
kind: Service
metadata:
  name: mydb
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: 9377
`);
    await waitRunning('myapp-pod', 30_000);
    expect(await statusColumn('myapp-pod')).toBe('Running');
    // The short names the page's older form looked up would resolve through this search list
    // (busybox's own nslookup ignores it, hence the page's pin to busybox 1.28).
    expect(await exec('myapp-pod', 'cat /etc/resolv.conf')).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    expect(await logs('myapp-pod', 'myapp-container')).toBe('The app is running!\n');
    await skiff('delete', '-f', myapp, '--wait=false');
    await skiff('delete', 'pod', 'init-demo', 'info-page', '--wait=false');
  }, 90_000);

  it('Expose Pod Information to Containers Through Files and Through Environment Variables: downwardAPI volumes and fieldRef/resourceFieldRef env', async () => {
    // pods/inject/dapi-volume.yaml, dapi-volume-resources.yaml, dapi-envars-pod.yaml, dapi-envars-container.yaml
    await e2e.apply('dapi.yaml', `
apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-downwardapi-volume-example
  labels:
    zone: us-est-coast
    cluster: test-cluster1
    rack: rack-22
  annotations:
    build: two
    builder: john-doe
spec:
  containers:
    - name: client-container
      image: ${BUSYBOX}
      command: ["sh", "-c"]
      args:
      - while true; do
          if [[ -e /etc/podinfo/labels ]]; then
            echo -en '\\n\\n'; cat /etc/podinfo/labels; fi;
          if [[ -e /etc/podinfo/annotations ]]; then
            echo -en '\\n\\n'; cat /etc/podinfo/annotations; fi;
          sleep 5;
        done;
      volumeMounts:
        - name: podinfo
          mountPath: /etc/podinfo
  volumes:
    - name: podinfo
      downwardAPI:
        items:
          - path: "labels"
            fieldRef:
              fieldPath: metadata.labels
          - path: "annotations"
            fieldRef:
              fieldPath: metadata.annotations
---
apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-downwardapi-volume-example-2
spec:
  containers:
    - name: client-container
      image: ${BUSYBOX}
      command: ["sh", "-c"]
      args:
      - while true; do
          echo -en '\\n';
          if [[ -e /etc/podinfo/cpu_limit ]]; then
            echo -en '\\n'; cat /etc/podinfo/cpu_limit; fi;
          if [[ -e /etc/podinfo/cpu_request ]]; then
            echo -en '\\n'; cat /etc/podinfo/cpu_request; fi;
          if [[ -e /etc/podinfo/mem_limit ]]; then
            echo -en '\\n'; cat /etc/podinfo/mem_limit; fi;
          if [[ -e /etc/podinfo/mem_request ]]; then
            echo -en '\\n'; cat /etc/podinfo/mem_request; fi;
          sleep 5;
        done;
      resources:
        requests:
          memory: "32Mi"
          cpu: "125m"
        limits:
          memory: "64Mi"
          cpu: "250m"
      volumeMounts:
        - name: podinfo
          mountPath: /etc/podinfo
  volumes:
    - name: podinfo
      downwardAPI:
        items:
          - path: "cpu_limit"
            resourceFieldRef:
              containerName: client-container
              resource: limits.cpu
              divisor: 1m
          - path: "cpu_request"
            resourceFieldRef:
              containerName: client-container
              resource: requests.cpu
              divisor: 1m
          - path: "mem_limit"
            resourceFieldRef:
              containerName: client-container
              resource: limits.memory
              divisor: 1Mi
          - path: "mem_request"
            resourceFieldRef:
              containerName: client-container
              resource: requests.memory
              divisor: 1Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: dapi-envars-fieldref
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "sh", "-c"]
      args:
      - while true; do
          echo -en '\\n';
          printenv MY_NODE_NAME MY_POD_NAME MY_POD_NAMESPACE;
          printenv MY_POD_IP MY_POD_SERVICE_ACCOUNT;
          sleep 10;
        done;
      env:
        - name: MY_NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        - name: MY_POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: MY_POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: MY_POD_IP
          valueFrom:
            fieldRef:
              fieldPath: status.podIP
        - name: MY_POD_SERVICE_ACCOUNT
          valueFrom:
            fieldRef:
              fieldPath: spec.serviceAccountName
  restartPolicy: Never
---
apiVersion: v1
kind: Pod
metadata:
  name: dapi-envars-resourcefieldref
spec:
  containers:
    - name: test-container
      image: ${BUSYBOX}
      command: [ "sh", "-c"]
      args:
      - while true; do
          echo -en '\\n';
          printenv MY_CPU_REQUEST MY_CPU_LIMIT;
          printenv MY_MEM_REQUEST MY_MEM_LIMIT;
          sleep 10;
        done;
      resources:
        requests:
          memory: "32Mi"
          cpu: "125m"
        limits:
          memory: "64Mi"
          cpu: "250m"
      env:
        - name: MY_CPU_REQUEST
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: requests.cpu
        - name: MY_CPU_LIMIT
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: limits.cpu
        - name: MY_MEM_REQUEST
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: requests.memory
        - name: MY_MEM_LIMIT
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: limits.memory
  restartPolicy: Never
`);
    const names = ['kubernetes-downwardapi-volume-example', 'kubernetes-downwardapi-volume-example-2', 'dapi-envars-fieldref', 'dapi-envars-resourcefieldref'];
    const [, , fieldref] = await Promise.all(names.map((name) => waitRunning(name)));

    // "kubectl logs": the labels, then the annotations, one key="value" a line.
    const volumeLog = await waitLogs('kubernetes-downwardapi-volume-example', /builder=/);
    expect(volumeLog).toContain('\n\ncluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"\n\n');
    expect(volumeLog).toMatch(/^build="two"\nbuilder="john-doe"/m);
    // "cat /etc/podinfo/labels"; "ls -laR /etc/podinfo": the files are links into ..data.
    expect(await exec('kubernetes-downwardapi-volume-example', 'cat /etc/podinfo/labels')).toBe('cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"');
    const listing = await exec('kubernetes-downwardapi-volume-example', 'ls -la /etc/podinfo');
    expect(listing).toMatch(/ \.\.data -> \.\.\S+/);
    expect(listing).toMatch(/ labels -> \.\.data\/labels$/m);
    expect(listing).toMatch(/ annotations -> \.\.data\/annotations$/m);

    // "kubectl logs": 250 125 64 32 (millicores and MiB, as the divisors ask).
    expect(await waitLogs('kubernetes-downwardapi-volume-example-2', /32/)).toMatch(/^\n\n250\n125\n64\n32(\n|$)/);
    expect(await exec('kubernetes-downwardapi-volume-example-2', 'cat /etc/podinfo/cpu_limit')).toBe('250');

    // "kubectl logs dapi-envars-fieldref": the node, the pod's name, default, its IP, default. The
    // pages print them with printenv, an applet TEST_IMAGE's busybox lacks: the same variables are
    // read in the container with the shell instead.
    const printenv = (pod: string, vars: string) => exec(pod, `for v in ${vars}; do eval echo "\\$$v"; done`);
    expect(await printenv('dapi-envars-fieldref', 'MY_NODE_NAME MY_POD_NAME MY_POD_NAMESPACE MY_POD_IP MY_POD_SERVICE_ACCOUNT')).toBe(`${fieldref.spec?.nodeName}\ndapi-envars-fieldref\ndefault\n${fieldref.status?.podIP}\ndefault\n`);
    // "kubectl logs dapi-envars-resourcefieldref": 1 1 33554432 67108864 (CPU rounded up to cores, memory in bytes).
    expect(await printenv('dapi-envars-resourcefieldref', 'MY_CPU_REQUEST MY_CPU_LIMIT MY_MEM_REQUEST MY_MEM_LIMIT')).toBe('1\n1\n33554432\n67108864\n');
    await skiff('delete', 'pod', ...names, '--wait=false');
  }, 60_000);
});
