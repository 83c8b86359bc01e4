import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { NODE_IMAGE, TEST_IMAGE, dockerApi, ensureNodeImage, testLabel, waitFor } from '@skiff/testing';
import { httpGet, isRunning, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Issue 11's acceptance 1-5 end to end: the built apiserver, scheduler, controller-manager and two
 * kubelets on real Docker; manifests applied with the built CLI as a user would. Pods are pinned
 * to one node or the other (spec.nodeName) so that both kubelets serve volumes, config and
 * secrets. Each kubelet keeps its volumes under its own --root-dir (Cluster.kubelets' rootDir).
 */
const run = testLabel().value;
const NODES = [`vol-${run}-1`, `vol-${run}-2`];
const NS = 'default';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  await ensureNodeImage();
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    kubeletArgs: ['--backoff-base', '0.5', '--backoff-max', '4', '--lease-interval', '1', '--resync-interval', '10', '--housekeeping-interval', '1'],
    logLevel: 'debug',
  });
  pods = e2e.typed('pod');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

const skiff = (...args: string[]) => e2e.cli(args, 30_000);
const exec = (pod: string, script: string, container?: string) => skiff('exec', pod, ...(container ? ['-c', container] : []), '--', 'sh', '-c', script);

function waitRunning(name: string, timeoutMs = 30_000): Promise<Pod> {
  return waitFor(`${name} to run`, async () => {
    const pod = await pods.get(NS, name);
    return isRunning(pod) ? pod : undefined;
  }, { timeoutMs, intervalMs: 100 });
}

/** The pod's directory on its node (the kubelet's --root-dir/pods/<uid>). */
function podDir(pod: Readonly<Pod>): string {
  const kubelet = e2e.cluster.kubelets.get(pod.spec?.nodeName ?? '');
  if (!kubelet) throw new Error(`no kubelet for ${pod.spec?.nodeName}`);
  return join(kubelet.rootDir, 'pods', pod.metadata?.uid ?? '');
}

async function deleteAndWaitGone(name: string): Promise<void> {
  await skiff('delete', 'pod', name, '--wait=false');
  await waitFor(`${name} to be gone`, async () => !(await pods.get(NS, name).catch(() => undefined)), { timeoutMs: 30_000, intervalMs: 100 });
}

describe('volumes, config and secrets in containers', () => {
  it('(1) shares an emptyDir between two containers, keeps it across a container restart, mounts medium Memory as a sized tmpfs, and removes it with the pod', async () => {
    await e2e.apply('shared.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 1
  volumes:
  - name: www
    emptyDir: {}
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  containers:
  - name: writer
    image: ${TEST_IMAGE}
    command: [sh, -c, '[ -f /data/index.html ] || echo "written as $(head -c 8 /dev/urandom | od -An -tx1 | tr -d " \\n")" > /data/index.html; exec sleep 3600']
    volumeMounts: [{name: www, mountPath: /data}, {name: cache, mountPath: /cache}]
  - name: server
    image: ${TEST_IMAGE}
    command: [httpd, -f, -p, '8080', -h, /www]
    volumeMounts: [{name: www, mountPath: /www, readOnly: true}]
`);
    let pod = await waitRunning('shared');
    const first = await waitFor('the page', async () => (await httpGet(pod.status?.podIP ?? '', 8080).catch(() => '')).match(/^written as [0-9a-f]{16}$/)?.[0], { timeoutMs: 10_000, intervalMs: 100 });

    const writer = pod.status?.containerStatuses.find((c) => c.name === 'writer');
    await dockerApi('POST', `/containers/${writer?.containerID?.replace('docker://', '')}/kill`);
    pod = await waitFor('the writer to restart', async () => {
      const p = await pods.get(NS, 'shared');
      const w = p.status?.containerStatuses.find((c) => c.name === 'writer');
      return w?.restartCount === 1 && w.state?.running ? p : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    expect(await httpGet(pod.status?.podIP ?? '', 8080)).toBe(first);

    const mounts = await exec('shared', 'grep " /cache " /proc/mounts', 'writer');
    expect(mounts).toMatch(/^tmpfs \/cache tmpfs rw,.*size=65536k/);
    // The server mounted www read-only.
    await expect(exec('shared', 'touch /www/x', 'server')).rejects.toThrow(/Read-only file system/);

    const dir = podDir(pod);
    expect(existsSync(join(dir, 'volumes/kubernetes.io~empty-dir/www/index.html'))).toBe(true);
    await deleteAndWaitGone('shared');
    await waitFor('the pod directory to be removed', () => !existsSync(dir), { timeoutMs: 20_000, intervalMs: 100 });
  }, 90_000);

  it('(2) gives a ConfigMap as env (configMapKeyRef, envFrom with a prefix) and as a volume (items, defaultMode); the file follows updates atomically, the env keeps its value', async () => {
    await e2e.apply('config.yaml', `
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data:
  color: blue
  size: large
  value: value-0-end
---
apiVersion: v1
kind: Pod
metadata: {name: config-user}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 1
  volumes:
  - name: cfg
    configMap:
      name: web-config
      defaultMode: 0400
      items: [{key: color, path: conf/color}, {key: value, path: value}]
  containers:
  - name: main
    image: ${NODE_IMAGE}
    env:
    - name: COLOR
      valueFrom: {configMapKeyRef: {name: web-config, key: color}}
    envFrom:
    - prefix: CFG_
      configMapRef: {name: web-config}
    volumeMounts: [{name: cfg, mountPath: /etc/cfg}]
    # Reads the file every millisecond: each read not of the form value-N-end is recorded in
    # /tmp/bad, each change with the time it was first seen in /tmp/seen (same clock as the test's).
    command:
    - node
    - -e
    - |
      const fs = require('fs');
      const nap = new Int32Array(new SharedArrayBuffer(4));
      let last = '';
      for (;;) {
        let v;
        try { v = fs.readFileSync('/etc/cfg/value', 'utf8'); } catch (e) { v = 'ERR ' + e.code; }
        if (!/^value-[0-9]+-end$/.test(v)) fs.appendFileSync('/tmp/bad', 'bad:[' + v + ']\\n');
        if (v !== last) { fs.appendFileSync('/tmp/seen', Date.now() + ' ' + v + '\\n'); last = v; }
        Atomics.wait(nap, 0, 0, 1);
      }
`);
    await waitRunning('config-user');
    const env = await exec('config-user', 'env | sort');
    expect(env).toContain('COLOR=blue\n');
    expect(env).toContain('CFG_color=blue\n');
    expect(env).toContain('CFG_size=large\n');
    expect(await exec('config-user', 'cat /etc/cfg/conf/color; echo; stat -L -c %a /etc/cfg/conf/color')).toBe('blue\n400\n');
    expect(await exec('config-user', 'ls -a /etc/cfg | grep -c "^\\.\\.data$"')).toBe('1\n');

    const configMaps = e2e.typed('configMap');
    const updatedAt = new Map<string, number>();
    for (let i = 1; i <= 100; i++) {
      const cm = await configMaps.get(NS, 'web-config');
      await configMaps.update({ ...cm, data: { ...cm.data, value: `value-${i}-end`, color: 'green' } });
      updatedAt.set(`value-${i}-end`, Date.now());
      await new Promise((r) => setTimeout(r, 30));
    }
    await waitFor('the last update in the file', async () => (await exec('config-user', 'cat /etc/cfg/value')) === 'value-100-end', { timeoutMs: 10_000, intervalMs: 100 });
    expect(await exec('config-user', 'cat /tmp/bad 2>/dev/null; true')).toBe('');
    const delays = (await exec('config-user', 'cat /tmp/seen'))
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, v]) => updatedAt.has(v))
      .map(([ms, v]) => Number(ms) - (updatedAt.get(v) ?? 0));
    const sorted = [...delays].sort((a, b) => a - b);
    console.log(`ConfigMap update -> file changed: ${delays.length} of 100 values seen, p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`);
    expect(sorted[sorted.length - 1]).toBeLessThan(5_000);
    expect(await exec('config-user', 'echo $COLOR $CFG_color')).toBe('blue blue\n');
    await deleteAndWaitGone('config-user');
  }, 120_000);

  it('(3) gives a Secret as env and as a tmpfs volume; its value reaches no component log and no file on the node outside that tmpfs', async () => {
    const value = `s3cr3t-${run}-value`;
    await e2e.apply('secret.yaml', `
apiVersion: v1
kind: Secret
metadata: {name: db-pass}
stringData:
  password: ${value}
---
apiVersion: v1
kind: Pod
metadata: {name: secret-user}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 1
  volumes:
  - name: creds
    secret: {secretName: db-pass}
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, exec sleep 3600]
    env:
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db-pass, key: password}}
    volumeMounts: [{name: creds, mountPath: /etc/creds}]
`);
    const pod = await waitRunning('secret-user');
    expect(await exec('secret-user', 'echo $DB_PASSWORD; cat /etc/creds/password')).toBe(`${value}\n${value}`);
    expect(await exec('secret-user', 'grep " /etc/creds " /proc/mounts')).toMatch(/^tmpfs \/etc\/creds tmpfs ro,/);

    const dir = podDir(pod);
    const secretDir = join(dir, 'volumes/kubernetes.io~secret/creds');
    const hostMounts = readFileSync('/proc/self/mounts', 'utf8');
    expect(hostMounts).toContain(` ${secretDir} tmpfs `);
    const leaks: string[] = [];
    const scan = (path: string): void => {
      if (path === secretDir) return; // the tmpfs
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) return;
      if (st.isDirectory()) for (const entry of readdirSync(path)) scan(join(path, entry));
      else if (st.isFile() && readFileSync(path).includes(value)) leaks.push(path);
    };
    scan(e2e.cluster.kubelets.get(NODES[0])?.rootDir ?? '/nonexistent');
    expect(leaks).toEqual([]);
    for (const [name, output] of e2e.cluster.allOutput()) expect({ name, leaked: output.includes(value) }).toEqual({ name, leaked: false });
    await deleteAndWaitGone('secret-user');
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(secretDir);
  }, 60_000);

  it('(4) holds a container whose ConfigMap is missing in CreateContainerConfigError with an Event, and starts it once the ConfigMap exists; optional starts at once', async () => {
    await e2e.apply('missing.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: needs-config}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, exec sleep 3600]
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: late-config, key: mode}}
---
apiVersion: v1
kind: Pod
metadata: {name: optional-config}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, exec sleep 3600]
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: absent-config, key: mode, optional: true}}
`);
    await waitFor('CreateContainerConfigError in skiff get pods', async () => / CreateContainerConfigError /.test(await skiff('get', 'pod', 'needs-config')), { timeoutMs: 20_000, intervalMs: 200 });
    await waitFor('the Event', async () => (await skiff('get', 'events', '--field-selector', 'involvedObject.name=needs-config')).includes('configmap "late-config" not found'), { timeoutMs: 10_000, intervalMs: 200 });
    await waitRunning('optional-config');
    expect(await exec('optional-config', 'env | grep -c ^MODE=; true')).toBe('0\n');

    const before = (await pods.get(NS, 'needs-config')).metadata?.uid;
    await e2e.apply('late.yaml', `
apiVersion: v1
kind: ConfigMap
metadata: {name: late-config}
data: {mode: fast}
`);
    const started = await waitRunning('needs-config', 20_000);
    expect(started.metadata?.uid).toBe(before);
    expect(await exec('needs-config', 'echo $MODE')).toBe('fast\n');
    await Promise.all([deleteAndWaitGone('needs-config'), deleteAndWaitGone('optional-config')]);
  }, 60_000);

  it('(5) fills fieldRef, resourceFieldRef and $(VAR) expansion in env, and a downwardAPI volume whose labels file follows a label change', async () => {
    const manifest = (labels: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: downward
  labels: {${labels}}
spec:
  nodeName: ${NODES[0]}
  hostname: downward-host
  terminationGracePeriodSeconds: 1
  volumes:
  - name: podinfo
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - path: mem
        resourceFieldRef: {containerName: main, resource: limits.memory, divisor: 1Mi}
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, 'echo "$(GREETING) from $(MY_POD_NAME)," ''$$(MY_POD_NAME)''; exec sleep 3600']
    resources: {limits: {memory: 64Mi}}
    volumeMounts: [{name: podinfo, mountPath: /etc/podinfo}]
    env:
    - {name: MY_POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MY_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: MY_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MY_NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: MY_TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}
    - {name: MY_MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: GREETING, value: "hello $(MY_POD_NAME) in $(MY_NAMESPACE)"}
    - {name: LITERAL, value: "$$(MY_POD_NAME)"}
`;
    await e2e.apply('downward.yaml', manifest('tier: web'));
    const pod = await waitRunning('downward');
    const env = await exec('downward', 'echo "$MY_POD_NAME|$MY_NAMESPACE|$MY_POD_IP|$MY_NODE|$MY_TIER|$MY_MEM|$GREETING|$LITERAL"');
    expect(env).toBe(`downward|default|${pod.status?.podIP}|${NODES[0]}|web|64|hello downward in default|$(MY_POD_NAME)\n`);
    expect(await exec('downward', 'hostname')).toBe('downward-host\n');
    expect(await skiff('logs', 'downward')).toBe('hello downward in default from downward, $(MY_POD_NAME)\n');
    expect(await exec('downward', 'cat /etc/podinfo/labels; echo; cat /etc/podinfo/name; echo; cat /etc/podinfo/mem')).toBe('tier="web"\ndownward\n64');

    await e2e.apply('downward.yaml', manifest('tier: web, release: canary'));
    await waitFor('the labels file to follow', async () => (await exec('downward', 'cat /etc/podinfo/labels')) === 'release="canary"\ntier="web"', { timeoutMs: 10_000, intervalMs: 200 });
    await deleteAndWaitGone('downward');
  }, 60_000);

  it('(6) reads the termination message a container wrote to its terminationMessagePath', async () => {
    await e2e.apply('message.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: last-words}
spec:
  nodeName: ${NODES[1]}
  restartPolicy: Never
  containers:
  - name: main
    image: ${TEST_IMAGE}
    terminationMessagePath: /tmp/last-words
    command: [sh, -c, 'echo "disk full" > /tmp/last-words; exit 3']
`);
    const terminated = await waitFor('the container to end', async () => {
      const t = (await pods.get(NS, 'last-words')).status?.containerStatuses.find((c) => c.name === 'main')?.state?.terminated;
      return t?.message ? t : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    expect(terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'disk full\n' });
    expect(await skiff('describe', 'pod', 'last-words')).toMatch(/Message:\s+disk full/);
    await deleteAndWaitGone('last-words');
  }, 60_000);

  it('(7) evicts a pod whose disk emptyDir grows past its sizeLimit, as Kubernetes', async () => {
    await e2e.apply('evicted.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: hoarder}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 30
  volumes:
  - name: scratch
    emptyDir: {sizeLimit: 1Mi}
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, 'head -c 2000000 /dev/zero > /scratch/blob; exec sleep 3600']
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`);
    const started = Date.now();
    const evicted = await waitFor('the eviction', async () => {
      const p = await pods.get(NS, 'hoarder');
      return p.status?.reason === 'Evicted' ? p : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    expect(evicted.status).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ' });
    expect(Date.now() - started).toBeLessThan(15_000); // killed at once, not after the 30 s grace period
    expect(evicted.status?.containerStatuses[0]?.state?.terminated).toBeDefined();
    expect(await skiff('describe', 'pod', 'hoarder')).toMatch(/Reason:\s+Evicted\n/);
    await deleteAndWaitGone('hoarder');
  }, 60_000);
});
