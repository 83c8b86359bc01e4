import { InvalidError } from './errors';
import { Event, Node, Pod } from './gen';
import { kindFor } from './kinds';
import {
  fieldValue,
  formatLabelSelector,
  labelSelectorMatcher,
  mapSelectorMatcher,
  parseFieldSelector,
  parseLabelSelector,
  selectableFields,
} from './selectors';

const web = { app: 'web', tier: 'frontend', env: 'prod', replicas: '3' };
const db = { app: 'db', tier: 'backend' };

function invalid(fn: () => unknown, field: string): InvalidError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).fields[0].field).toBe(field);
    return err as InvalidError;
  }
  throw new Error('expected an InvalidError');
}

describe('parseLabelSelector', () => {
  it.each([
    ['', true, true],
    ['app=web', true, false],
    ['app==web', true, false],
    ['app = web', true, false],
    ['app!=web', false, true],
    ['app in (web,api)', true, false],
    ['app in(web, api) ,tier=frontend', true, false],
    ['app notin (web)', false, true],
    ['env', true, false],
    ['!env', false, true],
    ['env,!missing', true, false],
    ['missing!=x', true, true],
    ['missing notin (x)', true, true],
    ['app=web,tier=backend', false, false],
    ['replicas>2', true, false],
    ['replicas<2', false, false],
    ['tier in (frontend, backend), app notin (cache)', true, true],
    ['example.com/role=x', false, false],
    ['app=', false, false],
  ])('%j matches web=%s db=%s', (text, matchesWeb, matchesDb) => {
    const m = parseLabelSelector(text);
    expect(m.matches(web)).toBe(matchesWeb);
    expect(m.matches(db)).toBe(matchesDb);
  });

  it('treats missing labels as empty', () => {
    expect(parseLabelSelector('app=web').matches(undefined)).toBe(false);
    expect(parseLabelSelector('!app').matches(undefined)).toBe(true);
    expect(parseLabelSelector('').matches(undefined)).toBe(true);
  });

  it('prints a canonical form sorted by key and value', () => {
    expect(parseLabelSelector('tier in (b, a),app==web, !x , y').toString()).toBe('app=web,tier in (a,b),!x,y');
    expect(parseLabelSelector('a notin (z,y)').toString()).toBe('a notin (y,z)');
    expect(parseLabelSelector('').toString()).toBe('');
    expect(parseLabelSelector('').empty).toBe(true);
    expect(parseLabelSelector('a').empty).toBe(false);
  });

  it.each([
    'app=web,',
    ',app',
    'app in web',
    'app in (web',
    'app in ()',
    '=web',
    'app=web tier=db',
    'app=we b',
    '!',
    'app=(x)',
    'app=web!',
    '-bad=x',
    'app=-bad',
    'a/b/c=x',
    `app=${'x'.repeat(64)}`,
    `${'k'.repeat(64)}=x`,
    'replicas>x',
    'app in (a,b) tier',
  ])('rejects %j with an InvalidError on labelSelector', (text) => {
    const err = invalid(() => parseLabelSelector(text), 'labelSelector');
    expect(err.message).toMatch(/^labelSelector: /);
  });

  it('allows an empty value for equality (app= selects an empty label)', () => {
    expect(parseLabelSelector('app=').matches({ app: '' })).toBe(true);
  });
});

describe('labelSelectorMatcher', () => {
  it('matches matchLabels and matchExpressions', () => {
    const m = labelSelectorMatcher({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'env', operator: 'Exists', values: [] },
        { key: 'canary', operator: 'DoesNotExist', values: [] },
      ],
    });
    expect(m.matches(web)).toBe(true);
    expect(m.matches({ ...web, canary: 'yes' })).toBe(false);
    expect(m.matches({ ...web, env: 'dev' })).toBe(false);
    expect(m.matches({ app: 'web', tier: 'frontend' })).toBe(false);
    expect(m.matches(db)).toBe(false);
    expect(m.toString()).toBe('app=web,!canary,env notin (dev),env,tier in (edge,frontend)');
  });

  it('selects nothing when absent and everything when empty, as Kubernetes', () => {
    expect(labelSelectorMatcher(undefined).matches(web)).toBe(false);
    expect(labelSelectorMatcher({ matchLabels: {}, matchExpressions: [] }).matches(web)).toBe(true);
    expect(labelSelectorMatcher({ matchLabels: {}, matchExpressions: [] }).empty).toBe(true);
  });

  it('rejects bad operators and values', () => {
    invalid(() => labelSelectorMatcher({ matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }), 'matchExpressions[0].operator');
    invalid(() => labelSelectorMatcher({ matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), 'labelSelector');
    invalid(() => labelSelectorMatcher({ matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), 'labelSelector');
    invalid(() => labelSelectorMatcher({ matchLabels: { 'bad key': 'x' }, matchExpressions: [] }), 'labelSelector');
  });

  it('formats messages for kubectl-style output', () => {
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: {}, matchExpressions: [] })).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: { app: 'web', tier: 'fe' }, matchExpressions: [] })).toBe('app=web,tier=fe');
    expect(formatLabelSelector({ matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'Bad', values: [] }] })).toBe('<error>');
  });

  it('matches map selectors', () => {
    expect(mapSelectorMatcher({ app: 'web' }).matches(web)).toBe(true);
    expect(mapSelectorMatcher({ app: 'web', tier: 'x' }).matches(web)).toBe(false);
    expect(mapSelectorMatcher({}).matches(web)).toBe(true);
    expect(mapSelectorMatcher(undefined).empty).toBe(true);
  });
});

describe('parseFieldSelector', () => {
  const pods = kindFor('pods');
  const pod = (name: string, nodeName: string, phase: string) =>
    Pod.fromPartial({ metadata: { name, namespace: 'default' }, spec: { nodeName }, status: { phase } });
  const a = pod('a', 'node-1', 'Running');
  const b = pod('b', '', 'Pending');

  it.each([
    ['', true, true],
    ['metadata.name=a', true, false],
    ['metadata.name==a', true, false],
    ['metadata.name!=a', false, true],
    ['metadata.namespace=default', true, true],
    ['spec.nodeName=node-1', true, false],
    ['spec.nodeName=', false, true],
    ['spec.nodeName!=', true, false],
    ['status.phase=Running,spec.nodeName=node-1', true, false],
    ['status.phase!=Succeeded,status.phase!=Failed', true, true],
  ])('%j matches a=%s b=%s', (text, matchesA, matchesB) => {
    const m = parseFieldSelector(pods, text);
    expect(m.matches(a)).toBe(matchesA);
    expect(m.matches(b)).toBe(matchesB);
  });

  it('exposes requirements and a string form', () => {
    const m = parseFieldSelector(pods, 'metadata.name=a, spec.nodeName!=x');
    expect(m.requirements).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a' },
      { field: 'spec.nodeName', operator: '!=', value: 'x' },
    ]);
    expect(m.toString()).toBe('metadata.name=a,spec.nodeName!=x');
    expect(parseFieldSelector(pods, ' ').empty).toBe(true);
  });

  it('unescapes values', () => {
    const m = parseFieldSelector(pods, 'metadata.name=a\\,b\\=c');
    expect(m.requirements[0].value).toBe('a,b=c');
  });

  it('refuses unknown fields, naming them', () => {
    const err = invalid(() => parseFieldSelector(pods, 'spec.foo=x'), 'fieldSelector');
    expect(err.message).toContain('field label not supported: spec.foo');
    invalid(() => parseFieldSelector(kindFor('services'), 'spec.nodeName=x'), 'fieldSelector');
  });

  it.each(['metadata.name', '=x', 'metadata.name=a=b', 'metadata.name=a\\x'])('rejects %j', (text) => {
    invalid(() => parseFieldSelector(pods, text), 'fieldSelector');
  });

  it('knows per-kind fields', () => {
    expect(selectableFields(kindFor('svc'))).toEqual(['metadata.name', 'metadata.namespace']);
    expect(selectableFields(pods)).toContain('spec.nodeName');
    expect(selectableFields(kindFor('events'))).toContain('involvedObject.name');
    const ev = Event.fromPartial({ metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'web' }, source: { component: 'kubelet' } });
    expect(parseFieldSelector(kindFor('events'), 'involvedObject.kind=Pod,involvedObject.name=web,source=kubelet').matches(ev)).toBe(true);
    expect(fieldValue(Node.fromPartial({ metadata: {} }), 'spec.unschedulable')).toBe('false');
    expect(parseFieldSelector(kindFor('nodes'), 'spec.unschedulable=false').matches(Node.fromPartial({ metadata: { name: 'n' } }))).toBe(true);
  });
});
