import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTestImages } from './docker';
import { createTestNetwork, runCommand, sweepTestHosts, TEST_HOSTS_DIR, type TestHost, type TestNetwork } from './test-hosts';
import { waitFor } from './wait-for';

/** Whether a process with this pid is alive (not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pids whose command line contains `arg`. */
function pidsWithArg(arg: string): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(arg);
    } catch {
      return false;
    }
  });
}

const mountsUnder = (dir: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(dir));
const links = async () => runCommand('ip', ['-o', 'link', 'show']);
const netnsList = () => (existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : []);
const cgroupExists = (name: string) => readdirSync('/sys/fs/cgroup').some((c) => existsSync(join('/sys/fs/cgroup', c, name)));

/** An HTTP GET over busybox nc, run inside `host`; resolves with the response. */
const httpFrom = (host: TestHost, ip: string, port: number) =>
  host.exec('sh', ['-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${ip} ${port}`], 10_000);

describe('test hosts', () => {
  let network: TestNetwork | undefined;
  afterAll(() => network?.destroy(), 60_000);

  it('joins two hosts on a bridge; a container on one host\'s dockerd is reached from the other through a route; removal leaves nothing', async () => {
    await ensureTestImages();
    network = await createTestNetwork();
    const net = network;
    expect(net.subnet).toMatch(/^10\.123\.\d+\.0\/24$/);
    expect(net.registry).toBe(`${net.gateway}:5000`);
    const [a, b] = [await net.addHost('a'), await net.addHost('b')];
    expect(a.ip).not.toBe(b.ip);
    expect(a.netnsPath).toBe(`/var/run/netns/${a.netns}`);

    // a process spawned in b listens on b's address only (its own namespace), and a reaches it
    const server = b.spawn('httpd', 'busybox', ['httpd', '-f', '-p', `${b.ip}:8081`, '-h', '/etc']);
    await waitFor('b\'s httpd to answer a', async () => (await httpFrom(a, b.ip, 8081).catch(() => '')).startsWith('HTTP/1.'), { timeoutMs: 10_000, intervalMs: 100 });
    expect(await b.exec('ip', ['-4', '-o', 'addr', 'show', 'eth0'])).toContain(`${b.ip}/24`);
    expect(server.running).toBe(true);

    // a's own dockerd pulls from the network's registry and runs a container on its bridge, on a
    // subnet that no route of this machine uses (a local cluster's pod networks may be 10.244.x)
    const routes = await runCommand('ip', ['route']);
    let third = randomInt(0, 256);
    while (routes.includes(`10.219.${third}.0/24`)) third = (third + 1) % 256;
    const subnet = `10.219.${third}.0/24`;
    const socket = await a.startDockerd({ bip: `10.219.${third}.1/24` });
    expect(socket.startsWith(a.dir)).toBe(true);
    const id = (await a.docker(['run', '-d', '--name', 'web', `${net.registry}/skiff/busybox:latest`, 'httpd', '-f', '-p', '8080', '-h', '/www'], 60_000)).trim();
    const [containerIp, containerPid] = (await a.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}} {{.State.Pid}}', id])).trim().split(' ');
    expect(containerIp.startsWith(`10.219.${third}.`)).toBe(true);
    // b reaches it once b routes a's container subnet via a; without the route it does not
    await expect(httpFrom(b, containerIp as string, 8080)).rejects.toThrow();
    await b.exec('ip', ['route', 'add', subnet, 'via', a.ip]);
    await waitFor('the container to answer b', async () => (await httpFrom(b, containerIp as string, 8080)).includes('skiff'), { timeoutMs: 10_000, intervalMs: 100 });
    // the root namespace reaches it through a route the network adds (and removes on destroy)
    await net.addRootRoute(subnet, a.ip);
    expect(await (await fetch(`http://${containerIp}:8080/`, { signal: AbortSignal.timeout(3_000) })).text()).toBe('skiff\n');

    // removing a: no process, mount, namespace, link, cgroup or file of it is left
    const pids = (await runCommand('ip', ['netns', 'pids', a.netns])).split('\n').filter(Boolean).map(Number);
    pids.push(Number(containerPid));
    expect(pids.length).toBeGreaterThanOrEqual(3); // dockerd, containerd, the shim, the container
    expect(mountsUnder(a.dir).length).toBeGreaterThan(0);
    expect(cgroupExists(a.netns)).toBe(true);
    const vethOfA = `sktv${net.run}2`;
    expect(await links()).toContain(vethOfA);
    await a.remove();
    expect(pids.filter(alive)).toEqual([]);
    expect(mountsUnder(a.dir)).toEqual([]);
    expect(netnsList()).not.toContain(a.netns);
    expect(await links()).not.toContain(vethOfA);
    expect(cgroupExists(a.netns)).toBe(false);
    expect(existsSync(a.dir)).toBe(false);
    expect(net.hosts.has('a')).toBe(false);
    // b is unaffected
    expect((await httpFrom(b, b.ip, 8081)).length).toBeGreaterThan(0);

    // destroy: b, the registry, the root route, the iptables rule, the bridge and the files go
    const registryPids = pidsWithArg(`${TEST_HOSTS_DIR}/${net.run}/registry.yml`);
    expect(registryPids.length).toBe(1);
    await net.destroy();
    expect(server.running).toBe(false);
    expect(registryPids.filter(alive)).toEqual([]);
    expect(netnsList().filter((n) => n.includes(net.run))).toEqual([]);
    expect(await links()).not.toContain(net.bridge);
    expect(await runCommand('ip', ['route'])).not.toContain(subnet);
    expect(await runCommand('iptables', ['-w', '-S', 'FORWARD'])).not.toContain(net.run);
    expect(existsSync(join(TEST_HOSTS_DIR, net.run))).toBe(false);
  }, 180_000);

  it('sweepTestHosts removes what a run whose owner died left, and leaves live runs alone', async () => {
    const live = await createTestNetwork({ registry: false });
    const crashed = await createTestNetwork({ registry: false });
    try {
      const host = await crashed.addHost('x');
      const sleeper = host.spawn('sleep', 'sleep', ['600']);
      const liveHost = await live.addHost('y');
      // the crashed run's owner is a process that has exited
      const dead = await runCommand('sh', ['-c', 'echo $$']);
      writeFileSync(join(TEST_HOSTS_DIR, crashed.run, 'owner.json'), JSON.stringify({ pid: Number(dead), startTime: '0' }));
      const swept = await sweepTestHosts();
      expect(swept).toContain(crashed.run);
      expect(swept).not.toContain(live.run);
      await waitFor('the sleeper to be killed', () => !sleeper.running);
      expect(netnsList()).not.toContain(host.netns);
      expect(netnsList()).toContain(liveHost.netns);
      expect(await links()).not.toContain(crashed.bridge);
      expect(await links()).toContain(live.bridge);
      expect(await runCommand('iptables', ['-w', '-S', 'FORWARD'])).not.toContain(crashed.run);
      expect(existsSync(join(TEST_HOSTS_DIR, crashed.run))).toBe(false);
    } finally {
      await crashed.destroy();
      await live.destroy();
    }
  }, 60_000);
});
