/**
 * `skiff taint` arguments and the taint list they produce, as kubectl's taint command
 * (k8s.io/kubectl/pkg/cmd/taint: parseTaints, validateFlags, reorganizeTaints):
 *   key=value:Effect   add (Effect: NoSchedule, PreferNoSchedule or NoExecute)
 *   key:Effect         add with an empty value
 *   key:Effect-        remove the taint with that key and effect
 *   key-               remove every taint with that key
 * CONTRACT: pure; errors are thrown as Error with kubectl's wording.
 */
import type { Taint } from '@skiff/api';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export interface TaintChanges {
  add: Taint[];
  /** effect '' removes every taint with the key. */
  remove: { key: string; effect: string }[];
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes' IsQualifiedName ("prefix/name"): the problems, none when valid. */
export function qualifiedNameErrors(key: string): string[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errs: string[] = [];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) errs.push('prefix part must be a valid DNS subdomain');
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME.test(name)) {
    errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
  return errs;
}

/** Kubernetes' IsValidLabelValue: the problems, none when valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  }
  return errs;
}

/** "key=value:Effect", "key:Effect", "key=value:", "key": kubectl's Taint.ToString. */
export function taintString(t: { key: string; value?: string; effect?: string }): string {
  if (!t.effect) return t.value ? `${t.key}=${t.value}:` : t.key;
  return t.value ? `${t.key}=${t.value}:${t.effect}` : `${t.key}:${t.effect}`;
}

/** kubectl's parseTaint: "<key>=<value>:<effect>", "<key>:<effect>" or "<key>". */
function parseTaint(spec: string): Taint {
  const parts = spec.split(':');
  let key: string;
  let value = '';
  let effect = '';
  if (parts.length === 1) {
    key = parts[0];
  } else if (parts.length === 2) {
    effect = parts[1];
    if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) throw new Error(`invalid taint effect: ${effect}, unsupported taint effect`);
    const kv = parts[0].split('=');
    if (kv.length > 2) throw new Error(`invalid taint spec: ${spec}`);
    key = kv[0];
    if (kv.length === 2) {
      value = kv[1];
      const errs = labelValueErrors(value);
      if (errs.length > 0) throw new Error(`invalid taint spec: ${spec}, ${errs.join('; ')}`);
    }
  } else {
    throw new Error(`invalid taint spec: ${spec}`);
  }
  const errs = qualifiedNameErrors(key);
  if (errs.length > 0) throw new Error(`invalid taint spec: ${spec}, ${errs.join('; ')}`);
  return { key, value, effect };
}

/**
 * kubectl's ParseTaints and validateFlags: the taints to add and to remove. Throws for a bad
 * spec, an added taint without effect, two added taints with the same key and effect, a taint
 * both added and removed, or no change at all.
 */
export function parseTaintArgs(specs: readonly string[]): TaintChanges {
  const add: Taint[] = [];
  const remove: { key: string; effect: string }[] = [];
  for (const spec of specs) {
    if (spec.endsWith('-')) {
      const t = parseTaint(spec.slice(0, -1));
      remove.push({ key: t.key, effect: t.effect });
      continue;
    }
    const t = parseTaint(spec);
    if (!t.effect) throw new Error(`invalid taint spec: ${spec}`);
    if (add.some((a) => a.key === t.key && a.effect === t.effect)) throw new Error(`duplicated taints with the same key and effect: {${t.key} ${t.value} ${t.effect} <nil>}`);
    add.push(t);
  }
  if (add.length === 0 && remove.length === 0) throw new Error('at least one taint update is required');
  const conflicts = add.flatMap((a) => remove.filter((r) => r.key === a.key && (!r.effect || r.effect === a.effect)).map((r) => `${r.key}=${r.effect}`));
  if (conflicts.length > 0) throw new Error(`can not both modify and remove the following taint(s) in the same command: ${conflicts.join(', ')}`);
  return { add, remove };
}

/**
 * kubectl's updateTaints / reorganizeTaints: the node's new taint list and the word printed
 * ("tainted", "untainted", or "modified" when both, or with --overwrite). Without --overwrite,
 * adding a taint whose key and effect the node already has is refused; removing a taint the node
 * does not have is refused (`taint "k:NoSchedule" not found`).
 */
export function applyTaintChanges(nodeName: string, current: readonly Taint[], changes: TaintChanges, overwrite: boolean): { taints: Taint[]; operation: 'tainted' | 'untainted' | 'modified' } {
  if (!overwrite) {
    const existing = changes.add.filter((a) => current.some((c) => c.key === a.key && c.effect === a.effect)).map((a) => a.key);
    if (existing.length > 0) throw new Error(`node ${nodeName} already has ${existing.join(',')} taint(s) with same effect(s) and --overwrite is false`);
  }
  const next: Taint[] = changes.add.map((t) => ({ ...t }));
  for (const old of current) {
    if (!next.some((t) => t.key === old.key && t.effect === old.effect)) next.push({ ...old });
  }
  const added = current.length !== next.length;
  const missing: string[] = [];
  let deleted = false;
  let list = next;
  for (const r of changes.remove) {
    const kept = list.filter((t) => !(t.key === r.key && (!r.effect || t.effect === r.effect)));
    deleted = kept.length !== list.length;
    if (!deleted) missing.push(`taint "${taintString(r)}" not found`);
    list = kept;
  }
  if (missing.length === 1) throw new Error(missing[0]);
  if (missing.length > 1) throw new Error(`[${missing.join(', ')}]`);
  const operation = (added && deleted) || overwrite ? 'modified' : added ? 'tainted' : 'untainted';
  return { taints: list, operation };
}
