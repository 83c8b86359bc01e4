/**
 * Parses kubectl-style resource arguments: `pods`, `pods,services`, `pods web db`, `pod/web`,
 * `all` (pods, services, deployments, replicasets, horizontalpodautoscalers, cronjobs, jobs).
 */
import { findKind, type KindInfo } from '@skiff/api';

export interface ResourceRequest {
  info: KindInfo;
  /** Empty: every object of the kind (in scope). */
  names: string[];
}

/** What `get all` lists, in kubectl's order. */
export const ALL_RESOURCES = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'horizontalpodautoscalers', 'cronjobs', 'jobs'];

function lookup(name: string): KindInfo {
  const info = findKind(name);
  if (!info) throw new Error(`the server doesn't have a resource type "${name}"`);
  return info;
}

/** Turns the positional arguments into requests; throws an Error for unknown types or mixed forms. */
export function parseResourceArgs(args: readonly string[]): ResourceRequest[] {
  if (args.length === 0) throw new Error('You must specify the type of resource to get. Use "skiff api-resources" for a complete list.');
  if (args.some((a) => a.includes('/'))) {
    const requests: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash <= 0 || slash === arg.length - 1) throw new Error(`arguments in resource/name form must have a single resource and name, got "${arg}"`);
      const info = lookup(arg.slice(0, slash));
      const existing = requests.find((r) => r.info === info);
      if (existing) existing.names.push(arg.slice(slash + 1));
      else requests.push({ info, names: [arg.slice(slash + 1)] });
    }
    return requests;
  }
  const [types, ...names] = args;
  const infos = types
    .split(',')
    .filter(Boolean)
    .flatMap((t) => (t.toLowerCase() === 'all' ? ALL_RESOURCES.map(lookup) : [lookup(t)]));
  const unique = [...new Set(infos)];
  return unique.map((info) => ({ info, names: [...names] }));
}

/** True when the output names several kinds, so NAME becomes `pod/web` (kubectl's rule). */
export function isMultiKind(args: readonly string[], requests: readonly ResourceRequest[]): boolean {
  return requests.length > 1 || args.some((a) => a.includes('/')) || args[0]?.split(',').some((t) => t.toLowerCase() === 'all') === true;
}
