/**
 * Label and field selectors. CONTRACT: parse functions throw InvalidError (field
 * "labelSelector"/"fieldSelector") on bad syntax; matchers are pure.
 *
 * Label selector grammar, as Kubernetes' labels.Parse:
 *   selector    := requirement ( ',' requirement )*  |  ''          ('' selects everything)
 *   requirement := '!' key | key | key ( '=' | '==' | '!=' ) value
 *                | key ( 'in' | 'notin' ) '(' value ( ',' value )* ')' | key ( '>' | '<' ) integer
 * `key!=v` and `key notin (..)` also match objects without the key, as in Kubernetes.
 */
import { InvalidError } from './errors';
import type { LabelSelector } from './gen';
import type { KindInfo, KubeObject } from './kinds';
import { checkLabelValue, checkQualifiedName } from './names';

export interface LabelMatcher {
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True when the selector selects everything. */
  readonly empty: boolean;
  toString(): string;
}

export interface FieldMatcher {
  matches(object: KubeObject): boolean;
  readonly empty: boolean;
  /** The parsed terms, in input order (lets a server use an index for `metadata.name=`). */
  readonly requirements: readonly FieldRequirement[];
  toString(): string;
}

/** One term of a label selector. `values` is sorted; empty for exists / !exists. */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: readonly string[];
}

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One term of a field selector. */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

// ------------------------------------------------------------------------------ label selectors

function labelError(detail: string): InvalidError {
  return new InvalidError([{ field: 'labelSelector', detail }]);
}

function requirementToString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case '=':
    case '!=':
      return `${r.key}${r.operator}${r.values[0]}`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
  }
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return has && r.values.includes(value as string);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value as string);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const [have, want] = [Number(value), Number(r.values[0])];
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

/** Checks a requirement's key and values; returns the problems (for InvalidError details). */
function checkRequirement(r: LabelRequirement): string[] {
  const errs = checkQualifiedName(r.key).map((e) => `invalid label key "${r.key}": ${e}`);
  switch (r.operator) {
    case 'exists':
    case '!':
      if (r.values.length) errs.push(`values set must be empty for exists and does not exist`);
      break;
    case '=':
    case '!=':
      if (r.values.length !== 1) errs.push(`exact-match compatibility requires one single value`);
      break;
    case 'in':
    case 'notin':
      if (!r.values.length) errs.push(`for 'in', 'notin' operators, values set can't be empty`);
      break;
    case 'gt':
    case 'lt':
      if (r.values.length !== 1 || !/^-?\d+$/.test(r.values[0])) errs.push(`for 'Gt', 'Lt' operators, exactly one integer value is required`);
      return errs;
  }
  for (const v of r.values) errs.push(...checkLabelValue(v).map((e) => `invalid label value: "${v}": at key: "${r.key}": ${e}`));
  return errs;
}

/** Builds a matcher from requirements; sorts them by key (and values) as Kubernetes prints them. */
export function labelMatcherOf(requirements: readonly LabelRequirement[]): LabelMatcher {
  const sorted = requirements
    .map((r) => ({ ...r, values: [...new Set(r.values)].sort() }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const text = sorted.map(requirementToString).join(',');
  return {
    empty: sorted.length === 0,
    matches: (labels) => sorted.every((r) => requirementMatches(r, labels ?? {})),
    toString: () => text,
  };
}

/** A matcher that selects nothing (Kubernetes' labels.Nothing(), for an absent LabelSelector). */
export const NOTHING: LabelMatcher = { empty: false, matches: () => false, toString: () => '' };

type Token =
  | { t: 'id'; v: string }
  | { t: '!' | '=' | '==' | '!=' | ',' | '(' | ')' | 'in' | 'notin' | '>' | '<' | 'end'; v: string };

const SPECIAL = new Set(['!', '=', ',', '(', ')', '<', '>']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '!' && text[i + 1] === '=') {
      tokens.push({ t: '!=', v: '!=' });
      i += 2;
    } else if (c === '=' && text[i + 1] === '=') {
      tokens.push({ t: '==', v: '==' });
      i += 2;
    } else if (SPECIAL.has(c)) {
      tokens.push({ t: c as Token['t'], v: c } as Token);
      i++;
    } else {
      let j = i;
      while (j < text.length && !SPECIAL.has(text[j]) && !/\s/.test(text[j])) j++;
      const word = text.slice(i, j);
      tokens.push(word === 'in' || word === 'notin' ? { t: word, v: word } : { t: 'id', v: word });
      i = j;
    }
  }
  tokens.push({ t: 'end', v: '' });
  return tokens;
}

/** Parses "app=web,tier!=db,env in (a,b),env notin (c),key,!key". */
export function parseLabelSelector(selector: string): LabelMatcher {
  return labelMatcherOf(parseLabelRequirements(selector));
}

/** The requirements of a label selector string, unsorted; throws InvalidError on bad syntax. */
export function parseLabelRequirements(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  let pos = 0;
  const peek = (): Token => tokens[pos];
  const next = (): Token => tokens[pos++];
  const fail = (what: string): never => {
    const tok = peek();
    throw labelError(`unable to parse requirement: found '${tok.t === 'end' ? '' : tok.v}', expected: ${what} in ${JSON.stringify(selector)}`);
  };
  const out: LabelRequirement[] = [];
  if (peek().t === 'end') return out;
  for (;;) {
    let r: LabelRequirement;
    if (peek().t === '!') {
      next();
      if (peek().t !== 'id') fail('identifier after \'!\'');
      r = { key: next().v, operator: '!', values: [] };
    } else {
      if (peek().t !== 'id') fail('identifier');
      const key = next().v;
      const op = peek();
      if (op.t === ',' || op.t === 'end') {
        r = { key, operator: 'exists', values: [] };
      } else if (op.t === '=' || op.t === '==' || op.t === '!=') {
        next();
        const value = peek().t === 'id' ? next().v : peek().t === ',' || peek().t === 'end' ? '' : fail('identifier');
        r = { key, operator: op.t === '!=' ? '!=' : '=', values: [value] };
      } else if (op.t === '>' || op.t === '<') {
        next();
        if (peek().t !== 'id') fail('integer');
        r = { key, operator: op.t === '>' ? 'gt' : 'lt', values: [next().v] };
      } else if (op.t === 'in' || op.t === 'notin') {
        next();
        if (peek().t !== '(') fail("'('");
        next();
        const values: string[] = [];
        for (;;) {
          if (peek().t === ')' && values.length === 0) break;
          if (peek().t === 'id') values.push(next().v);
          else if (peek().t === ',' || peek().t === ')') values.push('');
          else fail('identifier');
          if (peek().t === ',') next();
          else if (peek().t === ')') break;
          else fail("',' or ')'");
        }
        next();
        r = { key, operator: op.t, values };
      } else {
        fail("'=', '!=', '==', 'in', 'notin', ',' or end");
        throw new Error('unreachable');
      }
    }
    const problems = checkRequirement(r);
    if (problems.length) throw labelError(problems.join('; '));
    out.push(r);
    const sep = next();
    if (sep.t === 'end') return out;
    if (sep.t !== ',') {
      pos--;
      fail("',' or end");
    }
    if (peek().t === 'end') fail('identifier after \',\'');
  }
}

const EXPRESSION_OPERATORS: Readonly<Record<string, LabelOperator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** The requirements of a LabelSelector message; throws InvalidError for a bad operator or values. */
export function labelSelectorRequirements(selector: LabelSelector): LabelRequirement[] {
  const out: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: '=', values: [value] }));
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const operator = EXPRESSION_OPERATORS[e.operator];
    if (!operator) throw new InvalidError([{ field: `matchExpressions[${i}].operator`, detail: `Unsupported value: "${e.operator}": supported values: "DoesNotExist", "Exists", "In", "NotIn"` }]);
    out.push({ key: e.key, operator, values: e.values ?? [] });
  });
  const problems = out.flatMap(checkRequirement);
  if (problems.length) throw labelError(problems.join('; '));
  return out;
}

/**
 * A matcher for a LabelSelector message (matchLabels + matchExpressions). As Kubernetes'
 * LabelSelectorAsSelector: an absent selector selects nothing, an empty one everything.
 * Throws InvalidError for a bad operator, key or values.
 */
export function labelSelectorMatcher(selector: LabelSelector | undefined): LabelMatcher {
  if (!selector) return NOTHING;
  return labelMatcherOf(labelSelectorRequirements(selector));
}

/** A matcher for a plain map selector (Service.spec.selector, nodeSelector): every pair must match. */
export function mapSelectorMatcher(selector: Readonly<Record<string, string>> | undefined): LabelMatcher {
  return labelMatcherOf(Object.entries(selector ?? {}).map(([key, value]) => ({ key, operator: '=', values: [value] })));
}

/**
 * A LabelSelector message as kubectl prints it ("app=web,tier in (a,b)"); "<none>" when absent
 * or empty, "<error>" when it is invalid.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  try {
    const text = labelSelectorMatcher(selector).toString();
    return text || '<none>';
  } catch {
    return '<error>';
  }
}

// ------------------------------------------------------------------------------ field selectors

const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];
const KIND_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'status.phase', 'status.podIP'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Secret: ['type'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  ReplicaSet: ['status.replicas'],
};

/** The fields a kind can be selected on (metadata.name and metadata.namespace for every kind). */
export function selectableFields(info: KindInfo): readonly string[] {
  return [...COMMON_FIELDS, ...(KIND_FIELDS[info.kind] ?? [])];
}

/** The value of a selectable field as a string (missing -> ""), as Kubernetes' field sets. */
export function fieldValue(object: KubeObject, field: string): string {
  if (field === 'source') field = 'source.component';
  let value: unknown = object;
  for (const part of field.split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (value === undefined || value === null) return field === 'spec.unschedulable' ? 'false' : '';
  return String(value);
}

function fieldError(detail: string): InvalidError {
  return new InvalidError([{ field: 'fieldSelector', detail }]);
}

/** Splits on unescaped `sep`; keeps escapes for the next step. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      current += text[i] + text[i + 1];
      i++;
    } else if (text[i] === sep) {
      parts.push(current);
      current = '';
    } else current += text[i];
  }
  parts.push(current);
  return parts;
}

function unescape(text: string, term: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      const c = text[i + 1];
      if (c !== '\\' && c !== ',' && c !== '=') throw fieldError(`invalid selector: '${term}'; invalid escape sequence`);
      out += c;
      i++;
    } else if (text[i] === ',' || text[i] === '=') throw fieldError(`invalid selector: '${term}'; unescaped '${text[i]}'`);
    else out += text[i];
  }
  return out;
}

/** Finds the first unescaped operator in a term. */
function splitTerm(term: string): { key: string; op: '=' | '!='; value: string } {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const [token, op] of [['!=', '!='], ['==', '='], ['=', '=']] as const) {
      if (term.startsWith(token, i)) return { key: term.slice(0, i).trim(), op, value: term.slice(i + token.length).trim() };
    }
  }
  throw fieldError(`invalid selector: '${term}'; can't understand '${term}'`);
}

/** Parses "metadata.name=web,spec.nodeName!=node-1" for a kind; unknown fields are InvalidError. */
export function parseFieldSelector(info: KindInfo, selector: string): FieldMatcher {
  const supported = selectableFields(info);
  const requirements: FieldRequirement[] = [];
  if (selector.trim() !== '') {
    for (const term of splitUnescaped(selector, ',')) {
      const { key, op, value } = splitTerm(term);
      if (!key) throw fieldError(`invalid selector: '${term}'; field name is empty`);
      const field = unescape(key, term);
      if (!supported.includes(field)) throw fieldError(`field label not supported: ${field}`);
      requirements.push({ field, operator: op, value: unescape(value, term) });
    }
  }
  const text = requirements.map((r) => `${r.field}${r.operator}${r.value}`).join(',');
  return {
    empty: requirements.length === 0,
    requirements,
    matches: (object) => requirements.every((r) => (fieldValue(object, r.field) === r.value) === (r.operator === '=')),
    toString: () => text,
  };
}
