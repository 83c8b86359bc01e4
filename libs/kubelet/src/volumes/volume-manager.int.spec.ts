/**
 * The VolumeManager on the real file system, as root, with real tmpfs mounts, in a temp root dir.
 * `sources` is plain data (maps of ConfigMaps and Secrets), changed between calls.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { ConfigMap, Container, Pod, Secret, Volume, VolumeMount } from '@skiff/api';
import pino from 'pino';
import { readMountInfo } from './mounts';
import { ContainerMountError, VolumeManager, VolumeSetUpError, type VolumeSources } from './volume-manager';

const run = promisify(execFile);

let root: string;
let configMaps: Map<string, ConfigMap>;
let secrets: Map<string, Secret>;
let reads: string[];
const sources: VolumeSources = {
  configMap: async (ns, name) => (reads.push(`configmap ${ns}/${name}`), configMaps.get(`${ns}/${name}`)),
  secret: async (ns, name) => (reads.push(`secret ${ns}/${name}`), secrets.get(`${ns}/${name}`)),
};
const log = pino({ level: 'silent' });
const allocatable = { cpu: '2', memory: '1Gi' };
const signal = new AbortController().signal;
let manager: VolumeManager;
let uidCounter = 0;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-volumes-'));
  configMaps = new Map();
  secrets = new Map();
  reads = [];
  manager = new VolumeManager({ rootDir: root, sources, nodeAllocatable: () => allocatable, log });
});

afterEach(async () => {
  // Never leave a mount behind, whatever a test did.
  for (const m of (await readMountInfo()).filter((x) => x.mountPoint.startsWith(`${root}/`)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)) {
    await run('umount', [m.mountPoint]);
  }
  await fs.rm(root, { recursive: true, force: true });
});

function configMap(name: string, data: Record<string, string>, ns = 'shop'): void {
  configMaps.set(`${ns}/${name}`, { metadata: { name, namespace: ns }, data, binaryData: {} } as unknown as ConfigMap);
}
function secret(name: string, data: Record<string, string>, ns = 'shop'): void {
  secrets.set(`${ns}/${name}`, { metadata: { name, namespace: ns }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])), stringData: {}, type: 'Opaque' } as unknown as Secret);
}
function makePod(volumes: Partial<Volume>[], extra: { fsGroup?: number; memoryLimit?: string; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: `uid-${++uidCounter}`, labels: extra.labels ?? { app: 'web' }, annotations: {} },
    spec: {
      containers: [{ name: 'app', volumeMounts: [], resources: { limits: extra.memoryLimit ? { memory: extra.memoryLimit } : {}, requests: {} } }],
      initContainers: [],
      volumes: volumes.map((v) => ({ name: 'v', ...v })),
      securityContext: extra.fsGroup === undefined ? undefined : { supplementalGroups: [], fsGroup: extra.fsGroup },
    },
  } as unknown as Pod;
}
const container = (mounts: Partial<VolumeMount>[]): Container => ({ name: 'app', volumeMounts: mounts.map((m) => ({ readOnly: false, subPath: '', ...m })) }) as unknown as Container;
const volDir = (pod: Pod, plugin: string, name = 'v') => path.join(root, 'pods', pod.metadata!.uid, 'volumes', plugin, name);
const modeOf = async (p: string) => ((await fs.stat(p)).mode & 0o7777).toString(8);
async function mountAt(dir: string) {
  return (await readMountInfo()).find((m) => m.mountPoint === dir);
}

describe('emptyDir', () => {
  it('is a 0777 directory on disk, kept across calls, with no mount', async () => {
    const pod = makePod([{ emptyDir: { medium: '', sizeLimit: '' } }]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~empty-dir');
    expect(await modeOf(dir)).toBe('777');
    await fs.writeFile(path.join(dir, 'index.html'), 'hello');
    await manager.setUpPod(pod, signal);
    expect(await fs.readFile(path.join(dir, 'index.html'), 'utf8')).toBe('hello');
    expect(await mountAt(dir)).toBeUndefined();
    expect(await manager.mountsFor(pod, container([{ name: 'v', mountPath: '/data' }]))).toEqual([{ hostPath: dir, containerPath: '/data', readOnly: false }]);
  });

  it('with medium Memory is a tmpfs of the sizeLimit (seen in /proc/mounts), mounted once', async () => {
    const pod = makePod([{ emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }]);
    await manager.setUpPod(pod, signal);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~empty-dir');
    const procMounts = (await fs.readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.split(' ')[1] === dir);
    expect(procMounts).toHaveLength(1);
    expect(procMounts[0]).toMatch(/^tmpfs \S+ tmpfs \S*size=16384k/);
    // A fresh manager (a restarted kubelet) finds the mount and does not mount again.
    await new VolumeManager({ rootDir: root, sources, nodeAllocatable: () => allocatable, log }).setUpPod(pod, signal);
    expect((await readMountInfo()).filter((m) => m.mountPoint === dir)).toHaveLength(1);
  });

  it("with medium Memory and no sizeLimit is sized by the pod's memory limit, else the node's allocatable", async () => {
    const limited = makePod([{ emptyDir: { medium: 'Memory', sizeLimit: '' } }], { memoryLimit: '32Mi' });
    const unlimited = makePod([{ emptyDir: { medium: 'Memory', sizeLimit: '' } }]);
    await manager.setUpPod(limited, signal);
    await manager.setUpPod(unlimited, signal);
    expect((await mountAt(volDir(limited, 'kubernetes.io~empty-dir')))?.superOptions).toMatch(/size=32768k/);
    expect((await mountAt(volDir(unlimited, 'kubernetes.io~empty-dir')))?.superOptions).toMatch(/size=1048576k/);
  });

  it('gets the fsGroup, setgid and g+rwx', async () => {
    const pod = makePod([{ emptyDir: { medium: '', sizeLimit: '' } }], { fsGroup: 3456 });
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~empty-dir');
    expect((await fs.stat(dir)).gid).toBe(3456);
    expect(await modeOf(dir)).toBe('2777');
    // Files created in it inherit the group (setgid).
    await fs.writeFile(path.join(dir, 'f'), 'x');
    expect((await fs.stat(path.join(dir, 'f'))).gid).toBe(3456);
  });
});

describe('configMap', () => {
  it('writes the keys through the ..data symlink and follows updates by swapping it', async () => {
    configMap('web-config', { 'app.conf': 'port=80', color: 'blue' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'web-config', items: [], defaultMode: 0o400 } }]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~configmap', 'cfg');
    expect((await fs.readdir(dir)).filter((n) => !n.startsWith('..')).sort()).toEqual(['app.conf', 'color']);
    expect(await fs.readFile(path.join(dir, 'color'), 'utf8')).toBe('blue');
    expect(await modeOf(path.join(dir, 'color'))).toBe('400');
    expect(await mountAt(dir)).toBeUndefined();
    const first = await fs.readlink(path.join(dir, '..data'));

    await manager.setUpPod(pod, signal);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(first);

    configMap('web-config', { color: 'green' });
    await manager.setUpPod(pod, signal);
    expect(await fs.readlink(path.join(dir, '..data'))).not.toBe(first);
    expect(await fs.readFile(path.join(dir, 'color'), 'utf8')).toBe('green');
    expect((await fs.readdir(dir)).filter((n) => !n.startsWith('..'))).toEqual(['color']);
    expect(reads).toEqual(['configmap shop/web-config', 'configmap shop/web-config', 'configmap shop/web-config']);
    expect(await manager.mountsFor(pod, container([{ name: 'cfg', mountPath: '/etc/app' }]))).toEqual([{ hostPath: dir, containerPath: '/etc/app', readOnly: true }]);
  });

  it("fails with Kubernetes' FailedMount message when missing, and succeeds once it exists", async () => {
    const pod = makePod([{ name: 'cfg', configMap: { name: 'web-config', items: [] } }, { name: 'scratch', emptyDir: { medium: '', sizeLimit: '' } }]);
    const err = await manager.setUpPod(pod, signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VolumeSetUpError);
    expect((err as VolumeSetUpError).reason).toBe('FailedMount');
    expect((err as VolumeSetUpError).message).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "web-config" not found');
    expect((err as VolumeSetUpError).failures).toEqual([{ volume: 'cfg', message: (err as Error).message }]);
    // The other volumes were set up all the same.
    await fs.access(volDir(pod, 'kubernetes.io~empty-dir', 'scratch'));

    configMap('web-config', { color: 'blue' });
    await manager.setUpPod(pod, signal);
    expect(await fs.readFile(path.join(volDir(pod, 'kubernetes.io~configmap', 'cfg'), 'color'), 'utf8')).toBe('blue');
  });

  it('is an empty directory when missing and optional', async () => {
    const pod = makePod([{ configMap: { name: 'nope', items: [], optional: true } }]);
    await manager.setUpPod(pod, signal);
    expect((await fs.readdir(volDir(pod, 'kubernetes.io~configmap'))).filter((n) => !n.startsWith('..'))).toEqual([]);
  });

  it('with an fsGroup gives the files the group and its read bit', async () => {
    configMap('web-config', { color: 'blue' });
    const pod = makePod([{ configMap: { name: 'web-config', items: [], defaultMode: 0o400 } }], { fsGroup: 4567 });
    await manager.setUpPod(pod, signal);
    const file = path.join(volDir(pod, 'kubernetes.io~configmap'), 'color');
    expect((await fs.stat(file)).gid).toBe(4567);
    expect(await modeOf(file)).toBe('440');
    expect((await fs.stat(volDir(pod, 'kubernetes.io~configmap'))).gid).toBe(4567);
  });
});

describe('secret', () => {
  it('is written on a tmpfs (never on the disk), read-only for containers', async () => {
    secret('db', { password: 's3cr3t-value' });
    const pod = makePod([{ name: 'creds', secret: { secretName: 'db', items: [], defaultMode: 0o400 } }], { memoryLimit: '64Mi' });
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~secret', 'creds');
    const info = await mountAt(dir);
    expect(info?.fsType).toBe('tmpfs');
    expect(info?.superOptions).toMatch(/size=65536k/);
    expect(await fs.readFile(path.join(dir, 'password'), 'utf8')).toBe('s3cr3t-value');
    expect(await modeOf(path.join(dir, 'password'))).toBe('400');
    expect(await manager.mountsFor(pod, container([{ name: 'creds', mountPath: '/secrets', readOnly: false }]))).toEqual([{ hostPath: dir, containerPath: '/secrets', readOnly: true }]);

    // Nothing under the root dir on the disk holds the value: only the tmpfs does.
    await run('umount', [dir]);
    const { stdout } = await run('grep', ['-rl', 's3cr3t-value', root]).catch((e: { stdout: string }) => e);
    expect(stdout).toBe('');
  });

  it('mounts the tmpfs again before writing when it was unmounted under a running pod', async () => {
    secret('db', { password: 'pw' });
    const pod = makePod([{ name: 'creds', secret: { secretName: 'db', items: [] } }]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~secret', 'creds');
    await run('umount', [dir]);
    await manager.setUpPod(pod, signal);
    expect((await mountAt(dir))?.fsType).toBe('tmpfs');
    expect(await fs.readFile(path.join(dir, 'password'), 'utf8')).toBe('pw');
  });

  it('fails when missing or a key is missing, with Kubernetes messages', async () => {
    secret('db', { password: 'x' });
    const missing = makePod([{ name: 'creds', secret: { secretName: 'other', items: [] } }]);
    await expect(manager.setUpPod(missing, signal)).rejects.toThrow('MountVolume.SetUp failed for volume "creds" : secret "other" not found');
    const noKey = makePod([{ name: 'creds', secret: { secretName: 'db', items: [{ key: 'token', path: 'token' }] } }]);
    await expect(manager.setUpPod(noKey, signal)).rejects.toThrow('MountVolume.SetUp failed for volume "creds" : references non-existent secret key: token');
  });
});

describe('downwardAPI and projected', () => {
  it('write labels and resources, and follow label changes', async () => {
    const pod = makePod(
      [
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
              { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
            ],
          },
        },
      ],
      { memoryLimit: '64Mi', labels: { app: 'web' } },
    );
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~downward-api', 'info');
    expect(await fs.readFile(path.join(dir, 'labels'), 'utf8')).toBe('app="web"');
    expect(await fs.readFile(path.join(dir, 'mem'), 'utf8')).toBe('64');
    pod.metadata!.labels = { app: 'web', tier: 'front' };
    await manager.setUpPod(pod, signal);
    expect(await fs.readFile(path.join(dir, 'labels'), 'utf8')).toBe('app="web"\ntier="front"');
  });

  it('merges its sources into one directory on a tmpfs', async () => {
    configMap('web-config', { color: 'blue' });
    secret('db', { password: 'pw' });
    const pod = makePod([
      {
        name: 'all',
        projected: {
          sources: [
            { configMap: { name: 'web-config', items: [] } },
            { secret: { name: 'db', items: [{ key: 'password', path: 'creds/password' }] } },
            { downwardAPI: { items: [{ path: 'name', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } },
          ],
        },
      },
    ]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~projected', 'all');
    expect((await mountAt(dir))?.fsType).toBe('tmpfs');
    expect(await fs.readFile(path.join(dir, 'color'), 'utf8')).toBe('blue');
    expect(await fs.readFile(path.join(dir, 'creds/password'), 'utf8')).toBe('pw');
    expect(await fs.readFile(path.join(dir, 'name'), 'utf8')).toBe('web');
  });
});

describe('hostPath', () => {
  it('checks and creates as its type says, with Kubernetes messages', async () => {
    const host = path.join(root, 'host');
    await fs.mkdir(host);
    await fs.writeFile(path.join(host, 'file'), 'f');
    const socketPath = path.join(host, 'sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const setUp = (p: string, type: string) => manager.setUpPod(makePod([{ name: 'h', hostPath: { path: p, type } }]), signal);
      await setUp(path.join(host, 'made/deep'), 'DirectoryOrCreate');
      expect(await modeOf(path.join(host, 'made/deep'))).toBe('755');
      await setUp(path.join(host, 'made'), 'Directory');
      await expect(setUp(path.join(host, 'file'), 'Directory')).rejects.toThrow(`MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${host}/file is not a directory`);
      await expect(setUp(path.join(host, 'absent'), 'Directory')).rejects.toThrow(`hostPath type check failed: ${host}/absent is not a directory`);
      await setUp(path.join(host, 'new.log'), 'FileOrCreate');
      expect(await modeOf(path.join(host, 'new.log'))).toBe('644');
      expect((await fs.stat(path.join(host, 'new.log'))).size).toBe(0);
      await expect(setUp(path.join(host, 'nodir/new.log'), 'FileOrCreate')).rejects.toThrow(/ENOENT/);
      await setUp(path.join(host, 'file'), 'File');
      await expect(setUp(path.join(host, 'made'), 'File')).rejects.toThrow(`hostPath type check failed: ${host}/made is not a file`);
      await setUp(socketPath, 'Socket');
      await expect(setUp(path.join(host, 'file'), 'Socket')).rejects.toThrow(`hostPath type check failed: ${host}/file is not a socket file`);
      await setUp('/dev/null', 'CharDevice');
      await expect(setUp('/dev/null', 'BlockDevice')).rejects.toThrow('hostPath type check failed: /dev/null is not a block device');
      await setUp(path.join(host, 'whatever'), '');
      expect((await fs.stat(path.join(host, 'whatever'))).isDirectory()).toBe(true); // made, as the runtime makes a missing bind source
      await setUp(path.join(host, 'file'), ''); // no check: a file is fine
      await expect(setUp(host, 'Weird')).rejects.toThrow('Weird is an invalid volume type');
    } finally {
      server.close();
    }
  });

  it('binds the host path itself', async () => {
    const pod = makePod([{ name: 'h', hostPath: { path: '/var/log', type: 'Directory' } }]);
    await manager.setUpPod(pod, signal);
    expect(await manager.mountsFor(pod, container([{ name: 'h', mountPath: '/host-logs', readOnly: true }]))).toEqual([{ hostPath: '/var/log', containerPath: '/host-logs', readOnly: true }]);
  });
});

describe('subPath', () => {
  it('creates a missing subPath of an emptyDir as a directory with the volume mode', async () => {
    const pod = makePod([{ emptyDir: { medium: '', sizeLimit: '' } }]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~empty-dir');
    const [m] = await manager.mountsFor(pod, container([{ name: 'v', mountPath: '/var/lib/db', subPath: 'db/data' }]));
    // Pinned: a bind of the checked directory under volume-subpaths, which the runtime binds.
    expect(m).toEqual({ hostPath: path.join(root, 'pods', pod.metadata!.uid, 'volume-subpaths/v/app/0'), containerPath: '/var/lib/db', readOnly: false });
    expect(await modeOf(path.join(dir, 'db/data'))).toBe('777');
    await fs.writeFile(path.join(dir, 'db/data/x'), 'same');
    expect(await fs.readFile(path.join(m.hostPath, 'x'), 'utf8')).toBe('same');
    // Swapping the checked directory for a symlink afterwards does not redirect the pinned bind.
    await fs.rename(path.join(dir, 'db/data'), path.join(dir, 'db/moved'));
    await fs.symlink('/etc', path.join(dir, 'db/data'));
    expect(await fs.readFile(path.join(m.hostPath, 'x'), 'utf8')).toBe('same');
    await expect(fs.access(path.join(m.hostPath, 'passwd'))).rejects.toThrow();
    // A container restart pins it again (no mount stacked on the old one).
    await fs.rm(path.join(dir, 'db/data'));
    await fs.rename(path.join(dir, 'db/moved'), path.join(dir, 'db/data'));
    await manager.mountsFor(pod, container([{ name: 'v', mountPath: '/var/lib/db', subPath: 'db/data' }]));
    expect((await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(m.hostPath))).toHaveLength(1);
    await manager.tearDownPod(pod.metadata!.uid);
    expect((await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(m.hostPath)).toBe(false);
  });

  it('binds the current file of a configMap, which a bind keeps after updates (a subPath never updates)', async () => {
    configMap('web-config', { 'app.conf': 'v1' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'web-config', items: [] } }]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~configmap', 'cfg');
    const [m] = await manager.mountsFor(pod, container([{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }]));
    expect(m.readOnly).toBe(true);
    expect(await fs.readFile(m.hostPath, 'utf8')).toBe('v1');
    configMap('web-config', { 'app.conf': 'v2' });
    await manager.setUpPod(pod, signal);
    expect(await fs.readFile(path.join(dir, 'app.conf'), 'utf8')).toBe('v2');
    expect(await fs.readFile(m.hostPath, 'utf8')).toBe('v1'); // the pinned file of the version it was bound from
    await manager.tearDownPod(pod.metadata!.uid);
  });

  it('refuses subPaths that leave the volume, by .., absolute path or symlink', async () => {
    const pod = makePod([{ emptyDir: { medium: '', sizeLimit: '' } }]);
    await manager.setUpPod(pod, signal);
    const dir = volDir(pod, 'kubernetes.io~empty-dir');
    await fs.symlink('/etc', path.join(dir, 'escape'));
    const mounts = (subPath: string) => manager.mountsFor(pod, container([{ name: 'v', mountPath: '/x', subPath }]));
    await expect(mounts('../../../etc')).rejects.toThrow("unable to provision SubPath `../../../etc`: must not contain '..'");
    await expect(mounts('/etc')).rejects.toThrow('error SubPath `/etc` must not be an absolute path');
    await expect(mounts('escape')).rejects.toThrow(new ContainerMountError('failed to prepare subPath for volumeMount "v" of container "app"'));
    await expect(mounts('escape/newdir')).rejects.toThrow('failed to create subPath directory for volumeMount "v" of container "app"');
    await expect(fs.access('/etc/newdir')).rejects.toThrow();
    await expect(manager.mountsFor(pod, container([{ name: 'ghost', mountPath: '/x' }]))).rejects.toThrow('cannot find volume "ghost" to mount into container "app"');
  });
});

describe('termination log, tear-down and orphans', () => {
  it('creates an empty 0666 termination-message file per attempt', async () => {
    const file = await manager.terminationLogFile('uid-t', 'app', 2);
    expect(file).toBe(path.join(root, 'pods/uid-t/containers/app/2'));
    expect(await modeOf(file)).toBe('666');
    expect((await fs.stat(file)).size).toBe(0);
  });

  it('unmounts every tmpfs of the pod and removes its directory, idempotently', async () => {
    secret('db', { password: 'pw' });
    const pod = makePod([
      { name: 'creds', secret: { secretName: 'db', items: [] } },
      { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      { name: 'disk', emptyDir: { medium: '', sizeLimit: '' } },
    ]);
    await manager.setUpPod(pod, signal);
    const uid = pod.metadata!.uid;
    expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(`${root}/pods/${uid}/`))).toHaveLength(2);
    await manager.tearDownPod(uid);
    expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(`${root}/pods/${uid}/`))).toHaveLength(0);
    await expect(fs.access(path.join(root, 'pods', uid))).rejects.toThrow(/ENOENT/);
    await manager.tearDownPod(uid);
    await manager.tearDownPod('never-existed');
  });

  it('removes the volumes of pods it is not told about (after a restart)', async () => {
    secret('db', { password: 'pw' });
    const kept = makePod([{ emptyDir: { medium: '', sizeLimit: '' } }]);
    const gone = makePod([{ name: 'creds', secret: { secretName: 'db', items: [] } }]);
    await manager.setUpPod(kept, signal);
    await manager.setUpPod(gone, signal);
    const restarted = new VolumeManager({ rootDir: root, sources, nodeAllocatable: () => allocatable, log });
    expect(await restarted.cleanupOrphans(() => new Set([kept.metadata!.uid]))).toEqual([gone.metadata!.uid]);
    expect(await fs.readdir(path.join(root, 'pods'))).toEqual([kept.metadata!.uid]);
    expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(`${root}/`))).toHaveLength(0);
    expect(await restarted.cleanupOrphans(new Set([kept.metadata!.uid]))).toEqual([]);
  });
});

describe('hollow', () => {
  it('computes and fails as the real one but writes and mounts nothing', async () => {
    const hollow = new VolumeManager({ rootDir: root, sources, nodeAllocatable: () => allocatable, log, hollow: true });
    secret('db', { password: 'pw' });
    const pod = makePod([
      { name: 'creds', secret: { secretName: 'db', items: [] } },
      { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '' } },
      { name: 'h', hostPath: { path: path.join(root, 'host-made'), type: 'DirectoryOrCreate' } },
    ]);
    await hollow.setUpPod(pod, signal);
    expect(await fs.readdir(root)).toEqual([]);
    const mounts = await hollow.mountsFor(pod, container([{ name: 'creds', mountPath: '/s' }, { name: 'mem', mountPath: '/m', subPath: 'a/b' }]));
    expect(mounts).toEqual([
      { hostPath: volDir(pod, 'kubernetes.io~secret', 'creds'), containerPath: '/s', readOnly: true },
      { hostPath: path.join(volDir(pod, 'kubernetes.io~empty-dir', 'mem'), 'a/b'), containerPath: '/m', readOnly: false },
    ]);
    await expect(hollow.setUpPod(makePod([{ name: 'cfg', configMap: { name: 'nope', items: [] } }]), signal)).rejects.toThrow('MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
    expect(await hollow.terminationLogFile('u', 'app', 0)).toBe(path.join(root, 'pods/u/containers/app/0'));
    await hollow.tearDownPod(pod.metadata!.uid);
    expect(await fs.readdir(root)).toEqual([]);
  });
});

it('stops at an aborted signal with its reason, not a FailedMount', async () => {
  const pod = makePod([{ emptyDir: { medium: '', sizeLimit: '' } }]);
  await expect(manager.setUpPod(pod, AbortSignal.abort(new Error('pod is terminating')))).rejects.toThrow('pod is terminating');
});

it('serializes calls for one pod: a tear-down during a set-up waits for it', async () => {
  configMap('web-config', { color: 'blue' });
  const pod = makePod([{ name: 'cfg', configMap: { name: 'web-config', items: [] } }, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]);
  await Promise.all([manager.setUpPod(pod, signal), manager.tearDownPod(pod.metadata!.uid)]);
  await expect(fs.access(path.join(root, 'pods', pod.metadata!.uid))).rejects.toThrow(/ENOENT/);
  expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(`${root}/`))).toHaveLength(0);
});
