import type { ReplicaSet } from '@skiff/api';
import { deploymentOf, replicaSetOf } from './deployment-fixtures.spec-helper';
import {
  copyDeploymentAnnotations,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  MAX_REVISION_HISTORY_CHARS,
  maxRevision,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  revisionOf,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
} from './revision-annotations';

function annotated(annotations: Record<string, string>): ReplicaSet {
  const rs = replicaSetOf(deploymentOf(), { replicas: 1 });
  rs.metadata!.annotations = annotations;
  return rs;
}

describe('revision annotations', () => {
  it('reads revisions: missing is 0, garbage is skipped', () => {
    expect(revisionOf(annotated({}))).toBe(0);
    expect(revisionOf(annotated({ [REVISION_ANNOTATION]: '7' }))).toBe(7);
    expect(revisionOf(annotated({ [REVISION_ANNOTATION]: 'x' }))).toBeUndefined();
    expect(maxRevision([annotated({ [REVISION_ANNOTATION]: '2' }), annotated({ [REVISION_ANNOTATION]: 'x' }), annotated({ [REVISION_ANNOTATION]: '5' })])).toBe(5);
    expect(maxRevision([])).toBe(0);
  });

  it('gives a created ReplicaSet the next revision and the replicas annotations', () => {
    const rs = annotated({});
    expect(setNewReplicaSetAnnotations(deploymentOf(), rs, 3, false, 4, 5)).toBe(true);
    expect(rs.metadata!.annotations).toEqual({ [REVISION_ANNOTATION]: '3', [DESIRED_REPLICAS_ANNOTATION]: '4', [MAX_REPLICAS_ANNOTATION]: '5' });
  });

  it('keeps the older revisions of a ReplicaSet rolled back to in revision-history', () => {
    const rs = annotated({ [REVISION_ANNOTATION]: '1' });
    expect(setNewReplicaSetAnnotations(deploymentOf(), rs, 3, true, 3, 4)).toBe(true);
    expect(rs.metadata!.annotations[REVISION_ANNOTATION]).toBe('3');
    expect(rs.metadata!.annotations[REVISION_HISTORY_ANNOTATION]).toBe('1');
    rs.metadata!.annotations[REVISION_ANNOTATION] = '3';
    setNewReplicaSetAnnotations(deploymentOf(), rs, 5, true, 3, 4);
    expect(rs.metadata!.annotations[REVISION_HISTORY_ANNOTATION]).toBe('1,3');
    // Existing: the replicas annotations are the scaler's business.
    expect(rs.metadata!.annotations[DESIRED_REPLICAS_ANNOTATION]).toBeUndefined();
  });

  it('never lowers a revision', () => {
    const rs = annotated({ [REVISION_ANNOTATION]: '9' });
    expect(setNewReplicaSetAnnotations(deploymentOf(), rs, 4, true, 3, 4)).toBe(false);
    expect(rs.metadata!.annotations[REVISION_ANNOTATION]).toBe('9');
  });

  it('caps revision-history by dropping the oldest entries', () => {
    const long = Array.from({ length: 400 }, (_, i) => String(1000 + i)).join(','); // 1,999 chars
    const rs = annotated({ [REVISION_ANNOTATION]: '2000', [REVISION_HISTORY_ANNOTATION]: long });
    setNewReplicaSetAnnotations(deploymentOf(), rs, 3000, true, 1, 1);
    const history = rs.metadata!.annotations[REVISION_HISTORY_ANNOTATION];
    expect(history.length).toBeLessThanOrEqual(MAX_REVISION_HISTORY_CHARS);
    expect(history.endsWith(',2000')).toBe(true);
    expect(history.startsWith('1001,')).toBe(true);
  });

  it("copies the Deployment's own annotations but not the controller's or last-applied", () => {
    const d = deploymentOf({
      annotations: { 'kubernetes.io/change-cause': 'v2', [REVISION_ANNOTATION]: '4', 'skiff.io/last-applied-configuration': '{}', [DESIRED_REPLICAS_ANNOTATION]: '9' },
    });
    const rs = annotated({ [REVISION_ANNOTATION]: '1' });
    expect(copyDeploymentAnnotations(d, rs)).toBe(true);
    expect(rs.metadata!.annotations).toEqual({ [REVISION_ANNOTATION]: '1', 'kubernetes.io/change-cause': 'v2' });
    expect(copyDeploymentAnnotations(d, rs)).toBe(false);
  });

  it('sets the Deployment revision once', () => {
    const d = deploymentOf();
    expect(setDeploymentRevision(d, '2')).toBe(true);
    expect(setDeploymentRevision(d, '2')).toBe(false);
    expect(d.metadata!.annotations[REVISION_ANNOTATION]).toBe('2');
  });
});
