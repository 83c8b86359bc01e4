import { kindFor } from '@skiff/api';
import { objectKey, parseObjectKey, resourcePrefix } from './registry-keys';

describe('registry keys', () => {
  const pods = kindFor('pods');
  const nodes = kindFor('nodes');

  it('lays out namespaced and cluster-scoped keys', () => {
    expect(objectKey(pods, 'default', 'web')).toBe('/registry/pods/default/web');
    expect(objectKey(nodes, '', 'n1')).toBe('/registry/nodes/n1');
    expect(resourcePrefix(pods)).toBe('/registry/pods/');
    expect(resourcePrefix(pods, 'kube')).toBe('/registry/pods/kube/');
    expect(resourcePrefix(nodes, 'ignored')).toBe('/registry/nodes/');
  });

  it('parses keys back', () => {
    expect(parseObjectKey('/registry/pods/default/web')).toEqual({ resource: 'pods', namespace: 'default', name: 'web' });
    expect(parseObjectKey('/registry/nodes/n1')).toEqual({ resource: 'nodes', namespace: '', name: 'n1' });
    expect(parseObjectKey('/other/x')).toBeUndefined();
    expect(parseObjectKey('/registry/pods')).toBeUndefined();
  });
});
