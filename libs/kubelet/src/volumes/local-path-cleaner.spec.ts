import { PersistentVolume } from '@skiff/api';
import { localPathToReclaim, pinnedNode } from './local-path-cleaner';

const ROOT = '/var/lib/skiff/storage';
const NODE = 'node-1';

interface Over {
  path?: string;
  phase?: string;
  reclaim?: string;
  provisioner?: string | null;
  values?: string[];
  operator?: string;
  key?: string;
  affinity?: boolean;
  hostPath?: boolean;
}

/** A Released Delete volume made by the local-path provisioner for node-1, changed by `o`. */
function pv(o: Over = {}): PersistentVolume {
  return PersistentVolume.fromPartial({
    metadata: { name: 'pvc-1', annotations: o.provisioner === null ? {} : { 'pv.kubernetes.io/provisioned-by': o.provisioner ?? 'skiff.io/local-path' } },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: o.reclaim ?? 'Delete',
      local: o.hostPath ? undefined : { path: o.path ?? `${ROOT}/pvc-1_default_data` },
      hostPath: o.hostPath ? { path: `${ROOT}/pvc-1_default_data`, type: '' } : undefined,
      nodeAffinity:
        o.affinity === false
          ? undefined
          : { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: o.key ?? 'kubernetes.io/hostname', operator: o.operator ?? 'In', values: o.values ?? [NODE] }], matchFields: [] }] } },
    },
    status: { phase: o.phase ?? 'Released' },
  });
}

describe('pinnedNode', () => {
  it('is the single kubernetes.io/hostname In value, else undefined', () => {
    expect(pinnedNode(pv())).toBe(NODE);
    expect(pinnedNode(pv({ values: [NODE, 'node-2'] }))).toBeUndefined();
    expect(pinnedNode(pv({ operator: 'NotIn' }))).toBeUndefined();
    expect(pinnedNode(pv({ key: 'topology.kubernetes.io/zone' }))).toBeUndefined();
    expect(pinnedNode(pv({ affinity: false }))).toBeUndefined();
  });
});

describe('localPathToReclaim', () => {
  it("is the directory of a Released Delete local-path volume pinned to this node, directly under the node's root", () => {
    expect(localPathToReclaim(pv(), NODE, ROOT)).toBe(`${ROOT}/pvc-1_default_data`);
    expect(localPathToReclaim(pv(), NODE, `${ROOT}/`)).toBe(`${ROOT}/pvc-1_default_data`);
    expect(localPathToReclaim(pv({ path: `${ROOT}/pvc-1_default_data/` }), NODE, ROOT)).toBe(`${ROOT}/pvc-1_default_data`);
  });

  it('leaves volumes that are not Released, not Delete, or not made by the local-path provisioner', () => {
    for (const phase of ['Bound', 'Available', 'Pending', 'Failed']) expect(localPathToReclaim(pv({ phase }), NODE, ROOT)).toBeUndefined();
    expect(localPathToReclaim(pv({ reclaim: 'Retain' }), NODE, ROOT)).toBeUndefined();
    expect(localPathToReclaim(pv({ provisioner: null }), NODE, ROOT)).toBeUndefined();
    expect(localPathToReclaim(pv({ provisioner: 'rancher.io/local-path' }), NODE, ROOT)).toBeUndefined();
    expect(localPathToReclaim(pv({ hostPath: true }), NODE, ROOT)).toBeUndefined();
  });

  it('leaves volumes of other nodes, and volumes not pinned to exactly one node', () => {
    expect(localPathToReclaim(pv(), 'node-2', ROOT)).toBeUndefined();
    expect(localPathToReclaim(pv({ values: [NODE, 'node-2'] }), NODE, ROOT)).toBeUndefined();
    expect(localPathToReclaim(pv({ affinity: false }), NODE, ROOT)).toBeUndefined();
  });

  it('never names a directory outside the root, nested in it, the root itself, or not a pvc- directory', () => {
    const outside = [
      '/etc',
      '/var/lib/skiff/pvc-1', // next to the root
      `${ROOT}-other/pvc-1`, // a sibling sharing the root's prefix
      `${ROOT}/pvc-1/../../pvc-2`, // climbs out
      `${ROOT}/../storage/../pvc-1`,
      `${ROOT}/nested/pvc-1`, // not directly in the root
      `${ROOT}/pvc-1/deeper`,
      ROOT,
      `${ROOT}/`,
      `${ROOT}/data`, // not a provisioned directory
      `${ROOT}/.pvc-1`,
      'pvc-1_default_data', // relative: would resolve against the working directory
      `./pvc-1`,
    ];
    for (const path of outside) expect([path, localPathToReclaim(pv({ path }), NODE, ROOT)]).toEqual([path, undefined]);
    // A root given as a relative path names nothing.
    expect(localPathToReclaim(pv({ path: `${process.cwd()}/pvc-1` }), NODE, '.')).toBeUndefined();
    // `..` that stays inside resolves to the real directory.
    expect(localPathToReclaim(pv({ path: `${ROOT}/x/../pvc-2` }), NODE, ROOT)).toBe(`${ROOT}/pvc-2`);
  });
});
