/**
 * End to end through the built CLI (dist/apps/skiff/main.js, run as a child process) against a
 * real apiserver on real etcd and NATS: apply/get/describe/delete/watch for every kind, as a user
 * types them (acceptance 1 through the CLI: YAML in = YAML out).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { EXAMPLE_MANIFESTS, ExecOutput, KubeletService, LogChunk, StatsSummary, objectFromManifest, type Manifest } from '@skiff/api';
import { connect } from '@skiff/client';
import { bindService, createLogger, startGrpcServer } from '@skiff/service';
import { startApiserver, startEtcd, startNats, waitFor, type ApiserverProcess, type EtcdServer, type NatsServer } from '@skiff/testing';
import { isSubset } from './apply-plan';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist/apps/skiff/main.js');
const NS = 'shop';

jest.setTimeout(60_000);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let dir: string;

/** Runs the CLI to completion (bounded: killed after 20 s) with SKIFF_SERVER pointing at the test apiserver. */
function skiff(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, SKIFF_SERVER: apiserver.address, HOME: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function file(name: string, docs: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
  return path;
}

/** The examples as a user would apply them: no status (the server owns it), all in namespace "shop". */
function userManifest(kind: string): Manifest {
  const manifest = structuredClone(EXAMPLE_MANIFESTS[kind]) as Record<string, Record<string, unknown>>;
  delete manifest.status;
  if (manifest.metadata.namespace) manifest.metadata.namespace = NS;
  delete manifest.metadata.finalizers; // nothing would remove them: deletes would wait forever
  if (kind === 'Namespace') delete manifest.spec;
  if (kind === 'Event') manifest.involvedObject.namespace = NS;
  if (kind === 'StorageClass') {
    // The apiserver makes `local-path` (the default class) at start: this one is another class.
    manifest.metadata.name = 'local-path-copy';
    delete manifest.metadata.annotations;
  }
  return manifest;
}

const KINDS = Object.keys(EXAMPLE_MANIFESTS);
const RESOURCE: Record<string, string> = {
  Namespace: 'namespace', Node: 'node', Pod: 'pod', Service: 'service', Endpoints: 'endpoints', Event: 'event', ConfigMap: 'configmap',
  Secret: 'secret', ServiceAccount: 'serviceaccount', ReplicaSet: 'replicaset.apps', Deployment: 'deployment.apps', Lease: 'lease.coordination.k8s.io', HorizontalPodAutoscaler: 'horizontalpodautoscaler.autoscaling',
  Job: 'job.batch', CronJob: 'cronjob.batch', DaemonSet: 'daemonset.apps', ControllerRevision: 'controllerrevision.apps', PodDisruptionBudget: 'poddisruptionbudget.policy',
  StatefulSet: 'statefulset.apps', PersistentVolumeClaim: 'persistentvolumeclaim', PersistentVolume: 'persistentvolume', StorageClass: 'storageclass.storage.k8s.io',
};
const nameOf = (m: Manifest) => (m.metadata as { name: string }).name;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-cli-e2e-'));
  execFileSync(process.execPath, ['tools/build-app.mjs', 'skiff'], { cwd: ROOT, stdio: 'pipe' });
  etcd = await startEtcd();
  nats = await startNats();
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
});

afterAll(async () => {
  await apiserver?.stop();
  await nats?.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('skiff CLI against a real apiserver', () => {
  // Namespace last in the file: apply must still create it first.
  const manifests = [...KINDS.filter((k) => k !== 'Namespace'), 'Namespace'].map(userManifest);

  it('prints the client and server versions', async () => {
    const r = await skiff(['version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Client Version: v\S+\nServer Version: \S+/);
    expect(r.code).toBe(0);
  });

  it('finds the server in a config file', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `server: ${apiserver.address}\n`);
    const r = await skiff(['version', '--config', config], { SKIFF_SERVER: '' });
    expect(r.stdout).toContain('Server Version:');
    const bad = await skiff(['version', '--server', '127.0.0.1:1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*127\.0\.0\.1:1/);
  });

  it('rejects a manifest with an unknown field, naming it, and creates nothing', async () => {
    const good = userManifest('ConfigMap');
    const bad = structuredClone(userManifest('Pod')) as { metadata: { name: string }; spec: { containers: Record<string, unknown>[] } };
    bad.metadata.name = 'bad';
    bad.spec.containers[0].imagee = bad.spec.containers[0].image;
    const r = await skiff(['apply', '-f', file('bad.yaml', [good, bad])]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*bad\.yaml#2.*spec\.containers\[0\]\.imagee: unknown field/);
    const got = await skiff(['get', 'configmaps', '-A']);
    expect(got.stdout).toBe('');
    expect(got.stderr).toBe('No resources found\n');
  });

  it('creates every kind, then reports them unchanged', async () => {
    const path = file('all.yaml', manifests);
    const first = await skiff(['apply', '-f', path]);
    expect(first.stderr).toBe('');
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toBe(`namespace/${NS} created`);
    expect(lines.sort()).toEqual(manifests.map((m) => `${RESOURCE[m.kind as string]}/${nameOf(m)} created`).sort());
    expect(first.code).toBe(0);

    const again = await skiff(['apply', '-f', path]);
    expect(again.stderr).toBe('');
    expect(again.stdout.trim().split('\n').sort()).toEqual(manifests.map((m) => `${RESOURCE[m.kind as string]}/${nameOf(m)} unchanged`).sort());
  });

  it.each(KINDS)('gives back every field of the %s manifest with get -o yaml', async (kind) => {
    const manifest = userManifest(kind);
    const namespaced = Boolean((manifest.metadata as { namespace?: string }).namespace);
    const r = await skiff(['get', RESOURCE[kind], nameOf(manifest), '-o', 'yaml', ...(namespaced ? ['-n', NS] : [])]);
    expect(r.stderr).toBe('');
    const got = parse(r.stdout);
    expect(got.metadata.uid).toBeTruthy();
    expect(got.metadata.resourceVersion).toBeTruthy();
    if (!isSubset(manifest as never, got)) expect(got).toMatchObject(manifest); // shows the difference
  });

  it('reports a changed object as configured and the rest unchanged', async () => {
    const changed = manifests.map((m) => (m.kind === 'ConfigMap' ? { ...m, data: { ...(m.data as object), color: 'green', size: 'large' } } : m));
    const r = await skiff(['apply', '-f', file('changed.yaml', changed)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('configmap/web-config configured\n');
    expect(r.stdout.match(/ unchanged$/gm)).toHaveLength(manifests.length - 1);
    const json = JSON.parse((await skiff(['get', 'cm', 'web-config', '-n', NS, '-o', 'json'])).stdout);
    expect(json.data.color).toBe('green');

    // Taking the key out of the file again removes it from the server (three-way merge).
    const reverted = await skiff(['apply', '-f', file('reverted.yaml', manifests)]);
    expect(reverted.stdout).toContain('configmap/web-config configured\n');
    const after = JSON.parse((await skiff(['get', 'cm', 'web-config', '-n', NS, '-o', 'json'])).stdout);
    expect(after.data.size).toBeUndefined();
    expect(after.data).toEqual(manifests.find((m) => m.kind === 'ConfigMap')!.data);
  });

  it('lists with -o json, -l, -A and --field-selector', async () => {
    const list = JSON.parse((await skiff(['get', 'pods', '-n', NS, '-o', 'json'])).stdout);
    expect(list.kind).toBe('List');
    expect(list.items.map((i: Manifest) => nameOf(i))).toEqual(['web']);

    const table = await skiff(['get', 'pods', '-n', NS, '-l', 'app=web,tier in (frontend)']);
    expect(table.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+0\/2\s+Pending\s+0\s+\d+s\n$/);
    const none = await skiff(['get', 'pods', '-n', NS, '-l', 'app=nope']);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(`No resources found in ${NS} namespace.\n`);
    expect(none.code).toBe(0);

    const all = await skiff(['get', 'pods', '-A']);
    expect(all.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+READY.*\\n${NS}\\s+web\\s+0/2\\s+Pending`));

    const byName = await skiff(['get', 'pods', '-A', '--field-selector', 'metadata.name=web', '-o', 'name']);
    expect(byName.stdout).toBe('pod/web\n');
    const other = await skiff(['get', 'pods', '-A', '--field-selector', 'metadata.name=other', '-o', 'name']);
    expect(other.stdout).toBe('');

    const everything = await skiff(['get', 'all', '-n', NS]);
    expect(everything.stdout).toMatch(/^pod\/web /m);
    expect(everything.stdout).toMatch(/^service\/web /m);
    expect(everything.stdout).toMatch(/^deployment\.apps\/web /m);
    expect(everything.stdout).toMatch(/^replicaset\.apps\/web-5d9c8b7f6 /m);
  });

  it('describes a pod', async () => {
    const r = await skiff(['describe', 'pod', 'web', '-n', NS]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Name:\s+web\nNamespace:\s+shop\nLabels:\s+app=web\n\s+tier=frontend\n/);
    expect(r.stdout).toMatch(/Containers:\n  httpd:\n    Image:\s+127\.0\.0\.1:5000\/busybox:1\.36\n/);
    expect(r.stdout).toMatch(/Events:/);
    const missing = await skiff(['describe', 'pod', 'nope', '-n', NS]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: pods "nope" not found\n');
  });

  it('lists and describes the Job and CronJob examples as kubectl', async () => {
    const jobs = await skiff(['get', 'jobs,cronjobs', '-n', NS]);
    expect(jobs.stderr).toBe('');
    expect(jobs.stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\njob\.batch\/pi\s+Running\s+0\/5\s+\d+s\n\nNAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ncronjob\.batch\/hello\s+\* \* \* \* \*\s+Etc\/UTC\s+False\s+0\s+<none>\s+\d+s\n$/);
    const described = await skiff(['describe', 'job', 'pi', '-n', NS]);
    expect(described.stdout).toMatch(/^Name:\s+pi\nNamespace:\s+shop\nSelector:\s+batch\.kubernetes\.io\/controller-uid=[0-9a-f-]+\n/);
    expect(described.stdout).toMatch(/\nParallelism:\s+2\nCompletions:\s+5\nCompletion Mode:\s+Indexed\nSuspend:\s+false\nBackoff Limit:\s+4\nTTL Seconds After Finished:\s+100\nActive Deadline Seconds:\s+600s\nPods Statuses:\s+0 Active .*\/ 0 Succeeded \/ 0 Failed\nCompleted Indexes:\s+<none>\nPod Template:\n/);
    const wait = await skiff(['wait', '--for=condition=complete', 'job/pi', '-n', NS, '--timeout=0']);
    expect(wait).toMatchObject({ code: 1, stdout: '', stderr: 'error: timed out waiting for the condition on jobs/pi\n' });
  });

  it('streams changes with get -w', async () => {
    const child = spawn(process.execPath, [CLI, 'get', 'pods', '-n', NS, '-w', '--show-labels'], { env: { ...process.env, SKIFF_SERVER: apiserver.address }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      await waitFor('the initial table', () => /\nweb\s.*app=web,tier=frontend\n/.test(out), { timeoutMs: 15_000 });
      const pod = userManifest('Pod') as { metadata: { labels: Record<string, string> } };
      pod.metadata.labels.release = 'canary';
      const applied = await skiff(['apply', '-f', file('pod.yaml', [pod])]);
      expect(applied.stdout).toBe('pod/web configured\n');
      await waitFor('a row for the change', () => /release=canary/.test(out), { timeoutMs: 15_000 });
    } finally {
      child.kill('SIGINT');
      await exited;
    }
    expect(out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS$/);
  });

  it('deletes by name and with -f', async () => {
    const r = await skiff(['delete', 'configmap', 'web-config', '-n', NS]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('configmap "web-config" deleted\n');
    const gone = await skiff(['get', 'configmap', 'web-config', '-n', NS]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('error: configmaps "web-config" not found\n');
    const again = await skiff(['delete', 'configmap', 'web-config', '-n', NS]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: configmaps "web-config" not found\n');
    expect((await skiff(['delete', 'configmap', 'web-config', '-n', NS, '--ignore-not-found'])).code).toBe(0);

    const path = file('delete.yaml', [userManifest('Service'), userManifest('Deployment'), userManifest('Pod')]);
    const byFile = await skiff(['delete', '-f', path, '--now']);
    expect(byFile.stderr).toBe('');
    expect(byFile.stdout).toBe('service "web" deleted\ndeployment.apps "web" deleted\npod "web" deleted\n');
    expect(byFile.code).toBe(0);
    const left = await skiff(['get', 'pods,services,deployments', '-n', NS]);
    expect(left.stdout).toBe('');
    expect(left.stderr).toBe(`No resources found in ${NS} namespace.\n`);
  });
});

describe('skiff logs and exec (through the apiserver to the pod node kubelet)', () => {
  it('prints a container log and runs a command, exiting with its code', async () => {
    // The node's kubelet API, served with known answers (the real kubelet is tested with Docker).
    const kubelet = await startGrpcServer({
      address: '127.0.0.1:0',
      logger: createLogger('kubelet', 'silent'),
      services: [bindService('skiff.node.v1.Kubelet', KubeletService, {
      logs: async function* (req) {
        yield LogChunk.fromPartial({ data: Buffer.from(`log of ${req.name}/${req.container || 'only'} tail=${req.tailLines ?? 'all'}\n`) });
      },
      exec: async function* (req) {
        yield ExecOutput.fromPartial({ output: { $case: 'stdout', value: Buffer.from(`ran ${req.command.join(' ')}\n`) } });
        yield ExecOutput.fromPartial({ output: { $case: 'stderr', value: Buffer.from('on stderr\n') } });
        yield ExecOutput.fromPartial({ output: { $case: 'exitCode', value: 7 } });
      },
      summary: async () => StatsSummary.fromPartial({}),
      })],
    });
    const client = connect(apiserver.address);
    try {
      await client.create(
        objectFromManifest({
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'logs-node' },
          status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { port: kubelet.port } } },
        }),
      );
      await client.create(objectFromManifest({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'talker', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }));
      await client.bind({ namespace: 'default', name: 'talker', nodeName: 'logs-node', uid: '', resourceVersion: '' });

      const logs = await skiff(['logs', 'talker', '-c', 'main', '--tail', '5']);
      expect(logs).toMatchObject({ code: 0, stdout: 'log of talker/main tail=5\n', stderr: '' });
      const exec = await skiff(['exec', 'talker', '--', 'sh', '-c', 'echo hi']);
      expect(exec).toMatchObject({ code: 7, stdout: 'ran sh -c echo hi\n', stderr: 'on stderr\n' });
      const missing = await skiff(['logs', 'nobody']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: .*nobody.*not found/);
    } finally {
      client.close();
      await kubelet.close();
    }
  });
});

describe('skiff top (through the metrics API to the kubelets)', () => {
  it('prints nodes and pods as kubectl top, says when metrics are not available yet', async () => {
    const client = connect(apiserver.address);
    const uids: Record<string, string> = {};
    const time = new Date();
    const window = { seconds: 10, nanos: 0 };
    const figures = (nanoCores: number, bytes: number) => ({ cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: 0, window }, memory: { time, workingSetBytes: bytes } });
    const podStats = (namespace: string, name: string, containers: [string, number, number][]) => ({
      podRef: { namespace, name, uid: uids[`${namespace}/${name}`] },
      containers: containers.map(([n, cpu, memory]) => ({ name: n, ...figures(cpu, memory) })),
      ...figures(containers.reduce((a, c) => a + c[1], 0), containers.reduce((a, c) => a + c[2], 0)),
    });
    // The node's kubelet API with known figures (the real collection is tested with Docker).
    const kubelet = await startGrpcServer({
      address: '127.0.0.1:0',
      logger: createLogger('kubelet', 'silent'),
      services: [bindService('skiff.node.v1.Kubelet', KubeletService, {
        logs: async function* () {},
        exec: async function* () {},
        summary: async () =>
          StatsSummary.fromPartial({
            node: { nodeName: 'top-1', ...figures(500e6, 2 ** 30) },
            pods: [
              podStats('default', 'web', [['app', 250e6, 100 * 2 ** 20], ['sidecar', 2e6, 5 * 2 ** 20]]),
              podStats('default', 'db', [['db', 900e6, 50 * 2 ** 20]]),
              podStats('top-ns', 'cache', [['redis', 10e6, 300 * 2 ** 20]]),
            ],
            resolution: window,
          }),
      })],
    });
    try {
      const node = (name: string, port: number, ready: boolean) =>
        objectFromManifest({
          apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { top: 'yes' } },
          status: {
            addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { port } },
            allocatable: { cpu: '2', memory: '4Gi' }, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
          },
        });
      await client.create(node('top-1', kubelet.port, true));
      await client.create(node('top-2', kubelet.port, false));
      await client.create(objectFromManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'top-ns' } }));
      for (const [namespace, name, app] of [['default', 'web', 'web'], ['default', 'db', 'db'], ['top-ns', 'cache', 'cache'], ['default', 'fresh', 'fresh']]) {
        const created = await client.create(objectFromManifest({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { tier: 'top', app } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }));
        uids[`${namespace}/${name}`] = (created.kind?.value as { metadata: { uid: string } }).metadata.uid;
        await client.bind({ namespace, name, nodeName: 'top-1', uid: '', resourceVersion: '' });
      }

      const nodes = await skiff(['top', 'nodes', '-l', 'top=yes']);
      expect(nodes).toMatchObject({ code: 0, stderr: '' });
      expect(nodes.stdout).toBe(
        [
          'NAME    CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%',
          'top-1   500m         25%         1024Mi          25%',
          'top-2   <unknown>    <unknown>   <unknown>       <unknown>',
          '',
        ].join('\n'),
      );
      const pods = await skiff(['top', 'pods', '-l', 'tier=top', '--sort-by', 'cpu']);
      expect(pods.stdout).toBe(['NAME   CPU(cores)   MEMORY(bytes)', 'db     900m         50Mi', 'web    252m         105Mi', ''].join('\n'));
      const all = await skiff(['top', 'pod', '-A', '-l', 'tier=top', '--containers', '--sort-by', 'memory']);
      expect(all.stdout.split('\n')).toEqual([
        'NAMESPACE   POD     NAME      CPU(cores)   MEMORY(bytes)',
        'top-ns      cache   redis     10m          300Mi',
        'default     web     app       250m         100Mi',
        'default     web     sidecar   2m           5Mi',
        'default     db      db        900m         50Mi',
        '',
      ]);
      expect((await skiff(['top', 'pod', 'web', '--no-headers'])).stdout).toBe('web   252m   105Mi\n');

      const fresh = await skiff(['top', 'pods', '-l', 'app=fresh']);
      expect(fresh).toMatchObject({ code: 1, stdout: '', stderr: 'error: metrics not available yet\n' });
      const none = await skiff(['top', 'pods', '-l', 'app=nothing']);
      expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
      const named = await skiff(['top', 'pod', 'fresh']);
      expect(named).toMatchObject({ code: 1, stderr: 'error: podmetrics.metrics.k8s.io "default/fresh" not found\n' });
      expect((await skiff(['top', 'nodes', '-l', 'top=none'])).stderr).toBe('error: metrics not available yet\n');
      expect((await skiff(['top', 'pods', '--sort-by', 'name'])).stderr).toBe('error: --sort-by accepts only cpu or memory\n');
    } finally {
      client.close();
      await kubelet.close();
    }
  });
});
