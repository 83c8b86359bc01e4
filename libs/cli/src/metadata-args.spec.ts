import { applyMetadataChanges, parseAnnotationArgs, parseLabelArgs } from './metadata-args';
import { splitMetadataArgs } from './label-command';

describe('parseLabelArgs (kubectl parseLabels)', () => {
  it('k=v sets, k- removes', () => {
    expect(parseLabelArgs(['app=web', 'tier=', 'old-'])).toEqual({ set: { app: 'web', tier: '' }, remove: ['old'] });
  });

  it("refuses bad specs with kubectl's messages", () => {
    expect(() => parseLabelArgs(['a=b=c'])).toThrow('invalid label spec: a=b=c');
    expect(() => parseLabelArgs(['app'])).toThrow('unknown label spec: app');
    expect(() => parseLabelArgs(['app=has space'])).toThrow(/^invalid label value: "app=has space": a valid label must be/);
    expect(() => parseLabelArgs(['app=web', 'app-'])).toThrow('can not both modify and remove a label in the same command');
    expect(() => parseLabelArgs([])).toThrow('at least one label update is required');
  });
});

describe('parseAnnotationArgs (kubectl parseAnnotations)', () => {
  it('splits at the first "=", any value', () => {
    expect(parseAnnotationArgs(['note=a=b c', 'empty=', 'old-'])).toEqual({ set: { note: 'a=b c', empty: '' }, remove: ['old'] });
  });

  it('refuses bad specs', () => {
    expect(() => parseAnnotationArgs(['=v', 'plain'])).toThrow('invalid annotation format: =v, plain');
    expect(() => parseAnnotationArgs(['a=1', 'a-'])).toThrow('can not both modify and remove the following annotation(s) in the same command: a');
    expect(() => parseAnnotationArgs([])).toThrow('at least one annotation update is required');
  });
});

describe('applyMetadataChanges', () => {
  it('refuses changing an existing value without --overwrite; the same value is no change', () => {
    expect(() => applyMetadataChanges({ app: 'web' }, { set: { app: 'db' }, remove: [] }, false)).toThrow("'app' already has a value (web), and --overwrite is false");
    expect(applyMetadataChanges({ app: 'web' }, { set: { app: 'web' }, remove: [] }, false)).toEqual({ map: { app: 'web' }, changed: false, missing: [] });
    expect(applyMetadataChanges({ app: 'web' }, { set: { app: 'db' }, remove: [] }, true)).toEqual({ map: { app: 'db' }, changed: true, missing: [] });
  });

  it('adds and removes; reports removed keys that were not set', () => {
    expect(applyMetadataChanges({ a: '1', b: '2' }, { set: { c: '3' }, remove: ['a', 'zz'] }, false)).toEqual({ map: { b: '2', c: '3' }, changed: true, missing: ['zz'] });
    expect(applyMetadataChanges(undefined, { set: {}, remove: ['zz'] }, false)).toEqual({ map: {}, changed: false, missing: ['zz'] });
  });
});

describe('splitMetadataArgs', () => {
  it('separates the resources from the changes', () => {
    expect(splitMetadataArgs(['pods', 'a', 'b', 'x=1', 'y-'])).toEqual({ resources: ['pods', 'a', 'b'], changes: ['x=1', 'y-'] });
    expect(splitMetadataArgs(['pod/a', 'x=1'])).toEqual({ resources: ['pod/a'], changes: ['x=1'] });
    expect(splitMetadataArgs(['pods', 'x=1'])).toEqual({ resources: ['pods'], changes: ['x=1'] });
  });
});
