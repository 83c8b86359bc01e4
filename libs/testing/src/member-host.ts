/**
 * Where a member of a test cluster (etcd, NATS) runs: by default a process on this machine bound
 * to 127.0.0.1, or on a "test host" (a network namespace with its own address, see
 * test-hosts.ts) that spawns the process inside itself. Cluster starters take one MemberHost per
 * member.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertStarting, startProcess, tempDir, type TestProcess } from './process';
import { waitFor } from './wait-for';

export interface MemberHost {
  /** The address the member listens on and is reached at (a test host's own address, or 127.0.0.x). */
  ip: string;
  /** Starts `command args` on that host; default: a local process (startProcess). */
  spawn?(name: string, command: string, args: string[]): TestProcess;
  /** The host's own directory (a test host's): members keep their data under it, so that removing the host removes it. */
  dir?: string;
}

/** Whether members on `host` share the machine's port space (loopback), so ports must be picked free. */
export function sharesPortSpace(host: MemberHost): boolean {
  return !host.spawn;
}

/** Starts a member's process on its host. */
export function spawnOn(host: MemberHost, name: string, command: string, args: string[]): TestProcess {
  return host.spawn ? host.spawn(name, command, args) : startProcess(name, command, args);
}

/** A new data directory for member `name` on `host`: under the host's dir when it has one, else a temp dir. */
export function memberDir(host: MemberHost, name: string): { path: string; remove: () => void } {
  if (!host.dir) return tempDir(name);
  const path = join(host.dir, name);
  mkdirSync(path, { recursive: true });
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** `n` members on loopback (127.0.0.1, distinct ports). */
export function loopbackHosts(n: number): MemberHost[] {
  return Array.from({ length: n }, () => ({ ip: '127.0.0.1' }));
}

/** A member's process that a fault test can SIGKILL and start again as the same member. */
export interface RestartableMember {
  /** The process running now (restart() replaces it). */
  process: TestProcess;
  /** SIGKILL, as a crash (its data stays). */
  kill(): Promise<void>;
  /** Starts it again with the same command (ports, data); resolves once it is healthy. */
  restart(): Promise<void>;
}

/** How to run one member: where, what, and when it counts as up. */
export interface MemberSpec {
  host: MemberHost;
  /** e.g. "etcd s1" */
  label: string;
  command: string;
  args: string[];
  healthy(): Promise<boolean>;
  timeoutMs?: number;
  intervalMs?: number;
}

/** `fields` plus process/kill/restart for the member `spec` describes (not started: call restart()). */
export function restartableMember<T extends object>(fields: T, spec: MemberSpec): T & RestartableMember {
  const member = fields as T & RestartableMember;
  member.process = undefined as unknown as TestProcess;
  member.kill = () => member.process.kill();
  member.restart = async () => {
    const child = spawnOn(spec.host, spec.label, spec.command, spec.args);
    member.process = child;
    await waitFor(`${spec.label} to be healthy`, async () => {
      assertStarting(child);
      return spec.healthy();
    }, { timeoutMs: spec.timeoutMs ?? 30_000, intervalMs: spec.intervalMs ?? 50 });
  };
  return member;
}

/**
 * Starts every member at once; resolves with a stop() that stops them and removes `dirs`. On a
 * failure to start, stops what started, removes `dirs` and rejects.
 */
export async function startMembers(members: RestartableMember[], dirs: { remove(): void }[]): Promise<() => Promise<void>> {
  const stop = async () => {
    await Promise.all(members.map((m) => m.process?.stop(3_000).catch(() => undefined)));
    for (const dir of dirs) dir.remove();
  };
  try {
    await Promise.all(members.map((m) => m.restart()));
    return stop;
  } catch (err) {
    await stop();
    throw err;
  }
}
