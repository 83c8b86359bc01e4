import { isMultiKind, parseResourceArgs } from './resource-args';

const simple = (args: string[]) => parseResourceArgs(args).map((r) => [r.info.resource, r.names]);

describe('parseResourceArgs', () => {
  it('parses types, names, aliases and comma lists', () => {
    expect(simple(['po'])).toEqual([['pods', []]]);
    expect(simple(['pods', 'web', 'db'])).toEqual([['pods', ['web', 'db']]]);
    expect(simple(['deployments.apps,svc'])).toEqual([['deployments', []], ['services', []]]);
  });

  it('parses type/name arguments', () => {
    expect(simple(['pod/web', 'svc/web', 'pods/db'])).toEqual([['pods', ['web', 'db']], ['services', ['web']]]);
    expect(() => parseResourceArgs(['pod/'])).toThrow('resource/name');
  });

  it('expands all', () => {
    expect(simple(['all']).map(([r]) => r)).toEqual(['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'horizontalpodautoscalers', 'cronjobs', 'jobs']);
    expect(isMultiKind(['all'], parseResourceArgs(['all']))).toBe(true);
    expect(isMultiKind(['pods'], parseResourceArgs(['pods']))).toBe(false);
  });

  it('rejects unknown types', () => {
    expect(() => parseResourceArgs(['widgets'])).toThrow('the server doesn\'t have a resource type "widgets"');
    expect(() => parseResourceArgs([])).toThrow('You must specify the type of resource');
  });
});
