import { Deployment, labelSelectorMatcher, Pod, ReplicaSet } from '@skiff/api';
import { hpasSelecting, scaleOf, scaleTargetKind } from './scale-target';

describe('scaleTargetKind', () => {
  it('maps Deployments and ReplicaSets of group apps (an empty apiVersion meaning apps)', () => {
    expect(scaleTargetKind({ kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' })).toEqual({ ok: true, kind: 'deployment' });
    expect(scaleTargetKind({ kind: 'ReplicaSet', name: 'web', apiVersion: '' })).toEqual({ ok: true, kind: 'replicaSet' });
  });

  it('anything else is "no matches", as Kubernetes\' REST mapper says', () => {
    expect(scaleTargetKind({ kind: 'StatefulSet', name: 'db', apiVersion: 'apps/v1' })).toEqual({ ok: false, message: 'no matches for kind "StatefulSet" in group "apps"' });
    expect(scaleTargetKind({ kind: 'Deployment', name: 'web', apiVersion: 'v1' })).toEqual({ ok: false, message: 'no matches for kind "Deployment" in group ""' });
    expect(scaleTargetKind(undefined)).toEqual({ ok: false, message: 'no matches for kind "" in group "apps"' });
  });
});

describe('scaleOf', () => {
  it('is spec.replicas (1 when unset) and the selector', () => {
    const d = Deployment.fromPartial({ spec: { replicas: 4, selector: { matchLabels: { app: 'web' } } } });
    expect(scaleOf(d)).toMatchObject({ specReplicas: 4, selector: 'app=web' });
    expect(scaleOf(d).matcher?.matches({ app: 'web', x: 'y' })).toBe(true);
    expect(scaleOf(ReplicaSet.fromPartial({ spec: {} }))).toEqual({ specReplicas: 1, selector: '' });
  });

  it('reports a selector that does not parse', () => {
    const bad = Deployment.fromPartial({ spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['x'] }] } } });
    expect(scaleOf(bad)).toMatchObject({ selector: '<error>', parseError: expect.any(String) });
  });
});

describe('hpasSelecting', () => {
  it('lists the autoscalers of the namespace whose selector matches one of the pods', () => {
    const pods = [Pod.fromPartial({ metadata: { name: 'p', namespace: 'default', labels: { app: 'web', tier: 'front' } } })];
    const selectors = new Map([
      ['default/web', labelSelectorMatcher({ matchLabels: { app: 'web' }, matchExpressions: [] })],
      ['default/front', labelSelectorMatcher({ matchLabels: { tier: 'front' }, matchExpressions: [] })],
      ['default/db', labelSelectorMatcher({ matchLabels: { app: 'db' }, matchExpressions: [] })],
      ['prod/web', labelSelectorMatcher({ matchLabels: { app: 'web' }, matchExpressions: [] })],
    ]);
    expect(hpasSelecting(pods, selectors, 'default')).toEqual(['default/front', 'default/web']);
    expect(hpasSelecting([], selectors, 'default')).toEqual([]);
  });
});
