/**
 * What `skiff wait --for=...` waits for, as kubectl wait reads it: `delete`,
 * `condition=Name[=value]` (the condition type and status compared case-insensitively; value
 * "true" when left out) and `jsonpath={.path}[=value]` (a simple path: `.a.b`, `[0]`, `['k']`).
 * Pure: the manifest-shaped object in, met or not out.
 */

export type WaitFor =
  | { type: 'delete' }
  | { type: 'condition'; name: string; value: string }
  | { type: 'jsonpath'; path: (string | number)[]; expression: string; value?: string };

/** Parses a `--for` value; throws an Error with kubectl's words for anything else. */
export function parseWaitFor(text: string | undefined): WaitFor {
  const value = text ?? '';
  if (value.toLowerCase() === 'delete') return { type: 'delete' };
  if (value.startsWith('condition=')) {
    const rest = value.slice('condition='.length);
    const eq = rest.indexOf('=');
    const name = eq < 0 ? rest : rest.slice(0, eq);
    if (!name) throw new Error(`unrecognized condition: "${value}"`);
    return { type: 'condition', name, value: eq < 0 ? 'true' : rest.slice(eq + 1) };
  }
  if (value.startsWith('jsonpath=')) {
    const rest = value.slice('jsonpath='.length);
    const close = rest.lastIndexOf('}');
    let expression: string;
    let wanted: string | undefined;
    if (rest.startsWith('{') && close > 0) {
      expression = rest.slice(1, close);
      const after = rest.slice(close + 1);
      if (after && !after.startsWith('=')) throw new Error(`jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'`);
      wanted = after ? after.slice(1) : undefined;
    } else {
      const eq = rest.indexOf('=');
      expression = eq < 0 ? rest : rest.slice(0, eq);
      wanted = eq < 0 ? undefined : rest.slice(eq + 1);
    }
    return { type: 'jsonpath', path: parseJsonPath(expression), expression, value: wanted };
  }
  throw new Error(`unrecognized condition: "${value}"`);
}

/** `.status.conditions[0].type`, `.metadata.labels['app']` -> ['status', 'conditions', 0, 'type']. */
export function parseJsonPath(expression: string): (string | number)[] {
  const path: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/gy;
  let text = expression.trim();
  if (!text.startsWith('.') && !text.startsWith('[')) text = `.${text}`;
  let end = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    path.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3]));
    end = re.lastIndex;
  }
  if (end !== text.length || path.length === 0) throw new Error(`unsupported jsonpath "{${expression}}": use a simple path such as {.status.phase}`);
  return path;
}

function at(object: unknown, path: readonly (string | number)[]): unknown {
  let value = object;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/**
 * Whether `manifest` (an object as `get -o json` prints it) meets a condition or jsonpath wait.
 * A condition whose observedGeneration (or the status') is behind metadata.generation is not met
 * yet, as kubectl's checkCondition.
 */
export function isWaitMet(manifest: unknown, waitFor: Exclude<WaitFor, { type: 'delete' }>): boolean {
  if (waitFor.type === 'jsonpath') {
    const value = at(manifest, waitFor.path);
    if (value === undefined || value === null) return false;
    if (waitFor.value === undefined) return true;
    return typeof value === 'object' ? JSON.stringify(value) === waitFor.value : String(value) === waitFor.value;
  }
  const conditions = at(manifest, ['status', 'conditions']);
  if (!Array.isArray(conditions)) return false;
  const generation = at(manifest, ['metadata', 'generation']);
  for (const condition of conditions as Record<string, unknown>[]) {
    if (typeof condition?.type !== 'string' || condition.type.toLowerCase() !== waitFor.name.toLowerCase()) continue;
    if (typeof condition.status !== 'string') continue;
    const observed = condition.observedGeneration ?? at(manifest, ['status', 'observedGeneration']);
    if (generation !== undefined && observed !== undefined && Number(observed) < Number(generation)) return false;
    return condition.status.toLowerCase() === waitFor.value.toLowerCase();
  }
  return false;
}
