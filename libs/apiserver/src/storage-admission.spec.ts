import { DEFAULT_STORAGE_CLASS_NAME, defaultLocalPathStorageClass, kindFor, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/api';
import { ALL_ADMISSION_PLUGINS, enabledAdmissionPlugins } from './admission-plugins';
import { admitStorageCreate, applyDefaultStorageClass } from './storage-admission';

const claim = (storageClassName?: string) =>
  PersistentVolumeClaim.fromPartial({ metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName } });
const sc = (name: string, isDefault: boolean, created: string) =>
  StorageClass.fromPartial({ metadata: { name, creationTimestamp: new Date(created), annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'x' });

describe('DefaultStorageClass', () => {
  it('gives a claim without a class the default class; the newest of several defaults', () => {
    const c = claim();
    applyDefaultStorageClass(c, [sc('slow', false, '2026-01-01'), sc('a', true, '2026-01-01'), sc('b', true, '2026-02-01')]);
    expect(c.spec?.storageClassName).toBe('b');
  });

  it('leaves a claim naming a class, or "" (no class), and does nothing without a default', () => {
    const named = claim('slow');
    const none = claim('');
    applyDefaultStorageClass(named, [defaultLocalPathStorageClass()]);
    applyDefaultStorageClass(none, [defaultLocalPathStorageClass()]);
    expect(named.spec?.storageClassName).toBe('slow');
    expect(none.spec?.storageClassName).toBe('');
    const unset = claim();
    applyDefaultStorageClass(unset, [sc('slow', false, '2026-01-01')]);
    expect(unset.spec?.storageClassName).toBeUndefined();
    // "false" is not default
    applyDefaultStorageClass(unset, [StorageClass.fromPartial({ metadata: { name: 'x', annotations: { 'storageclass.kubernetes.io/is-default-class': 'false' } } })]);
    expect(unset.spec?.storageClassName).toBeUndefined();
  });
});

describe('admitStorageCreate', () => {
  it('sets the default class and adds the protection finalizers to claims and volumes', async () => {
    const c = claim();
    await admitStorageCreate(kindFor('pvc'), c, ALL_ADMISSION_PLUGINS, async () => [defaultLocalPathStorageClass()]);
    expect(c.spec?.storageClassName).toBe(DEFAULT_STORAGE_CLASS_NAME);
    expect(c.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    const pv = PersistentVolume.fromPartial({ metadata: { name: 'v', finalizers: ['kubernetes.io/pv-protection'] }, spec: {} });
    await admitStorageCreate(kindFor('pv'), pv, ALL_ADMISSION_PLUGINS, async () => []);
    expect(pv.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
    const fresh = PersistentVolume.fromPartial({ metadata: { name: 'w' }, spec: {} });
    await admitStorageCreate(kindFor('pv'), fresh, ALL_ADMISSION_PLUGINS, async () => []);
    expect(fresh.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
  });

  it('does neither when the plugins are disabled, and never looks classes up for a named class', async () => {
    const c = claim();
    await admitStorageCreate(kindFor('pvc'), c, enabledAdmissionPlugins(['DefaultStorageClass', 'StorageObjectInUseProtection']), async () => [defaultLocalPathStorageClass()]);
    expect(c.spec?.storageClassName).toBeUndefined();
    expect(c.metadata?.finalizers).toEqual([]);
    const lookup = jest.fn(async () => []);
    await admitStorageCreate(kindFor('pvc'), claim('slow'), ALL_ADMISSION_PLUGINS, lookup);
    expect(lookup).not.toHaveBeenCalled();
  });
});
