/**
 * The kubelet flags that shape the Node it registers, parsed as Kubernetes' kubelet does:
 * --node-labels "key=value,key2=value2" and --register-with-taints "key=value:Effect,key:Effect".
 * Both apply only when the kubelet creates its Node; afterwards labels and taints belong to the
 * admins (`kubectl label`, `kubectl taint`), and a restarted kubelet keeps what they set.
 * Pure: no I/O.
 */
import { checkLabelValue, checkQualifiedName, InvalidError, type FieldError, type Taint } from '@skiff/api';

/** The taint effects Kubernetes accepts. */
const TAINT_EFFECTS: readonly string[] = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

function items(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function nameErrors(field: string, value: string, problems: readonly string[]): FieldError[] {
  return problems.map((p) => ({ field, detail: `Invalid value: ${JSON.stringify(value)}: ${p}` }));
}

/**
 * "a=1,b=2" -> { a: "1", b: "2" }; an empty string gives {}. Throws InvalidError (field
 * "--node-labels") naming every item that is not `key=value` with a qualified-name key and a
 * label value, or a key given twice.
 */
export function parseNodeLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const errs: FieldError[] = [];
  for (const item of items(value)) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      errs.push({ field: '--node-labels', detail: `Invalid value: ${JSON.stringify(item)}: must be key=value` });
      continue;
    }
    const [key, val] = [item.slice(0, eq), item.slice(eq + 1)];
    errs.push(...nameErrors('--node-labels', key, checkQualifiedName(key)), ...nameErrors('--node-labels', val, checkLabelValue(val)));
    if (key in labels) errs.push({ field: '--node-labels', detail: `Duplicate value: ${JSON.stringify(key)}` });
    labels[key] = val;
  }
  if (errs.length) throw new InvalidError(errs);
  return labels;
}

/**
 * "dedicated=gpu:NoSchedule,spot:PreferNoSchedule" -> taints (value optional, timeAdded unset);
 * an empty string gives []. As Kubernetes' ParseTaints: the key is a qualified name, the value a
 * label value, the effect NoSchedule, PreferNoSchedule or NoExecute, and no key+effect repeats.
 * Throws InvalidError (field "--register-with-taints") naming every bad item.
 */
export function parseTaints(value: string): Taint[] {
  const taints: Taint[] = [];
  const errs: FieldError[] = [];
  const field = '--register-with-taints';
  const seen = new Set<string>();
  for (const item of items(value)) {
    const colon = item.lastIndexOf(':');
    if (colon < 0) {
      errs.push({ field, detail: `Invalid value: ${JSON.stringify(item)}: must be key=value:effect or key:effect` });
      continue;
    }
    const [keyValue, effect] = [item.slice(0, colon), item.slice(colon + 1)];
    const eq = keyValue.indexOf('=');
    const [key, val] = eq < 0 ? [keyValue, ''] : [keyValue.slice(0, eq), keyValue.slice(eq + 1)];
    errs.push(...nameErrors(field, key, checkQualifiedName(key)));
    if (val) errs.push(...nameErrors(field, val, checkLabelValue(val)));
    if (!TAINT_EFFECTS.includes(effect)) {
      errs.push({ field, detail: `Unsupported value: ${JSON.stringify(effect)}: supported values: ${TAINT_EFFECTS.map((e) => `"${e}"`).join(', ')}` });
    }
    if (seen.has(`${key}:${effect}`)) errs.push({ field, detail: `Duplicate value: ${JSON.stringify(`${key}:${effect}`)}` });
    seen.add(`${key}:${effect}`);
    taints.push({ key, value: val, effect, timeAdded: undefined });
  }
  if (errs.length) throw new InvalidError(errs);
  return taints;
}
