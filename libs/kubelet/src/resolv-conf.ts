/**
 * The node's resolver settings, from its resolv.conf (Kubernetes' kubelet --resolv-conf, default
 * /etc/resolv.conf): the base that a dnsPolicy Default pod's dnsConfig is merged into (pod-dns.ts).
 * Read as the kubelet does: `nameserver` lines add a server, the last `search` line wins (trailing
 * dots dropped, "." ignored), `options` lines add options (a later value of a name wins); comments
 * (# or ;) and other keywords are ignored. Loopback nameservers are left out, as Docker leaves them
 * out of its default: a pod's loopback is its own, where no resolver listens.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { PodDnsConfig } from '@skiff/runtime';
import type { Logger } from '@skiff/service';
import { mergeDnsOptions } from './pod-dns';

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

/** The settings in resolv.conf text (see the module comment). Pure; never throws. */
export function parseResolvConf(text: string): PodDnsConfig {
  const servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*[#;]/.test(line)) continue;
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword === 'nameserver' && values[0] && isIP(values[0]) && !isLoopback(values[0])) servers.push(values[0]);
    else if (keyword === 'search') searches = values.filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    else if (keyword === 'options') options = mergeDnsOptions(options, values.map(optionOf));
  }
  return { servers: [...new Set(servers)], searches: [...new Set(searches)], options };
}

/**
 * The settings in the file at `path`, read now (the file may change while the kubelet runs).
 * CONTRACT: never throws; an unreadable file counts as empty settings (then the runtime fills
 * in its own default for each empty part), with a warning in the log.
 */
export function readResolvConf(path: string, log: Logger): PodDnsConfig {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch (err) {
    log.warn({ path, err }, "cannot read the node's resolv.conf; pods merge their dnsConfig into empty settings");
    return { servers: [], searches: [], options: [] };
  }
}

function optionOf(text: string): { name: string; value?: string } {
  const colon = text.indexOf(':');
  return colon < 0 ? { name: text } : { name: text.slice(0, colon), value: text.slice(colon + 1) };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}
