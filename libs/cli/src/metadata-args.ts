/**
 * `skiff label` / `skiff annotate` arguments and what they do to an object's map, as kubectl's
 * label and annotate commands: `key=value` sets, `key-` removes; changing an existing key's
 * value needs --overwrite.
 * CONTRACT: pure; errors are thrown as Error with kubectl's wording.
 */
import { labelValueErrors } from './taint-args';

export type MetadataField = 'labels' | 'annotations';

export interface MetadataChanges {
  set: Record<string, string>;
  remove: string[];
}

/** kubectl's parseLabels: "k=v" (a valid label value) or "k-". */
export function parseLabelArgs(specs: readonly string[]): MetadataChanges {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const spec of specs) {
    if (spec.includes('=')) {
      const parts = spec.split('=');
      if (parts.length !== 2) throw new Error(`invalid label spec: ${spec}`);
      const errs = labelValueErrors(parts[1]);
      if (errs.length > 0) throw new Error(`invalid label value: "${spec}": ${errs.join(';')}`);
      set[parts[0]] = parts[1];
    } else if (spec.endsWith('-')) {
      remove.push(spec.slice(0, -1));
    } else {
      throw new Error(`unknown label spec: ${spec}`);
    }
  }
  if (remove.some((k) => k in set)) throw new Error('can not both modify and remove a label in the same command');
  if (Object.keys(set).length === 0 && remove.length === 0) throw new Error('at least one label update is required');
  return { set, remove };
}

/** kubectl's parseAnnotations: "k=v" (any value, split at the first "=") or "k-". */
export function parseAnnotationArgs(specs: readonly string[]): MetadataChanges {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const invalid: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq >= 0) {
      if (eq === 0) invalid.push(spec);
      else set[spec.slice(0, eq)] = spec.slice(eq + 1);
    } else if (spec.endsWith('-')) {
      remove.push(spec.slice(0, -1));
    } else {
      invalid.push(spec);
    }
  }
  if (invalid.length > 0) throw new Error(`invalid annotation format: ${invalid.join(', ')}`);
  const both = remove.filter((k) => k in set);
  if (both.length > 0) throw new Error(`can not both modify and remove the following annotation(s) in the same command: ${both.join(', ')}`);
  if (Object.keys(set).length === 0 && remove.length === 0) throw new Error('at least one annotation update is required');
  return { set, remove };
}

/**
 * The map after the changes (kubectl's labelFunc / updateAnnotations). Without `overwrite`, a
 * key whose current value differs is refused: `'k' already has a value (v), and --overwrite is
 * false` (setting the same value again is no change). `missing`: removed keys that were not set
 * (kubectl prints `label "k" not found.` for labels). `changed`: whether anything differs.
 */
export function applyMetadataChanges(current: Readonly<Record<string, string>> | undefined, changes: MetadataChanges, overwrite: boolean): { map: Record<string, string>; changed: boolean; missing: string[] } {
  const before = { ...(current ?? {}) };
  if (!overwrite) {
    const clashes = Object.entries(changes.set)
      .filter(([k, v]) => k in before && before[k] !== v)
      .map(([k]) => `'${k}' already has a value (${before[k]}), and --overwrite is false`);
    if (clashes.length === 1) throw new Error(clashes[0]);
    if (clashes.length > 1) throw new Error(`[${clashes.join(', ')}]`);
  }
  const map = { ...before, ...changes.set };
  const missing = changes.remove.filter((k) => !(k in before));
  for (const k of changes.remove) delete map[k];
  const keys = new Set([...Object.keys(before), ...Object.keys(map)]);
  const changed = [...keys].some((k) => before[k] !== map[k]);
  return { map, changed, missing };
}
