/**
 * Where a member of a test cluster (etcd, NATS) runs: by default a process on this machine bound
 * to 127.0.0.1, or on a "test host" (a network namespace with its own address, see
 * test-hosts.ts) that spawns the process inside itself. Cluster starters take one MemberHost per
 * member.
 */
import { startProcess, type TestProcess } from './process';

export interface MemberHost {
  /** The address the member listens on and is reached at (a test host's own address, or 127.0.0.x). */
  ip: string;
  /** Starts `command args` on that host; default: a local process (startProcess). */
  spawn?(name: string, command: string, args: string[]): TestProcess;
}

/** Whether members on `host` share the machine's port space (loopback), so ports must be picked free. */
export function sharesPortSpace(host: MemberHost): boolean {
  return !host.spawn;
}

/** Starts a member's process on its host. */
export function spawnOn(host: MemberHost, name: string, command: string, args: string[]): TestProcess {
  return host.spawn ? host.spawn(name, command, args) : startProcess(name, command, args);
}

/** `n` members on loopback (127.0.0.1, distinct ports). */
export function loopbackHosts(n: number): MemberHost[] {
  return Array.from({ length: n }, () => ({ ip: '127.0.0.1' }));
}
