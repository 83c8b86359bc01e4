/**
 * The persistentvolume binder (Kubernetes' "persistentvolume-binder" controller, with the
 * skiff.io/local-path provisioner built in as Kubernetes' in-tree provisioners are), the I/O half:
 * pv-binder-sync.ts decides; this file reads the caches, writes, records Events.
 *
 * Keys: `claim:<ns>/<name>` and `volume:<name>`. A claim change enqueues the claim and its
 * volume; a volume change enqueues the volume, the claim it names and (when it could serve one)
 * every unbound claim; a StorageClass or Node change enqueues the unbound claims.
 * A reconcile loops: decide the next step from the caches (the objects a write returned replace
 * the cached ones), write it, until the decision is a wait (at most MAX_STEPS writes).
 * Compare-and-swap everywhere: a stale cache gives ConflictError, retried with backoff; so two
 * claims can never take one volume. Before a volume is Released, its claim is read from the
 * apiserver (the cache may not have it yet).
 */
import { AlreadyExistsError, keyOf, NotFoundError, SELECTED_NODE_ANNOTATION, splitKey, type PersistentVolume, type PersistentVolumeClaim } from '@skiff/api';
import { typed, type TypedClient } from '@skiff/client';
import { Controller, type ReconcileResult } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { syncClaim, syncVolume, type BinderEvent, type BinderStep, type BinderWorld } from './pv-binder-sync';

/** The component name on Events (Kubernetes' persistentvolume-controller). */
export const PV_BINDER_COMPONENT = 'persistentvolume-controller';
const MAX_STEPS = 8;
/** A provisioning that cannot go on (the node has no storage path yet) is tried again after this. */
const RETRY_MS = 5_000;

/** Builds the persistentvolume-binder controller. */
export function persistentVolumeBinder(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'persistentvolume-binder' });
  const claims = ctx.informers.get('persistentVolumeClaim');
  const volumes = ctx.informers.get('persistentVolume');
  const classes = ctx.informers.get('storageClass');
  const nodes = ctx.informers.get('node');
  const claimClient = typed(ctx.client, 'persistentVolumeClaim');
  const volumeClient = typed(ctx.client, 'persistentVolume');
  const recorder = ctx.recorder(PV_BINDER_COMPONENT);
  /** The last Event recorded per object key: a wait is reported once, not at every sync. */
  const lastEvent = new Map<string, string>();

  const world = (overrides: Map<string, PersistentVolume>, claimOverrides: Map<string, PersistentVolumeClaim>): BinderWorld => ({
    get volumes() {
      const names = new Set(overrides.keys());
      return [...volumes.list().filter((v) => !names.has(v.metadata?.name ?? '')), ...overrides.values()];
    },
    volume: (name) => overrides.get(name) ?? volumes.get(name),
    claim: (namespace, name) => claimOverrides.get(`${namespace}/${name}`) ?? claims.get(`${namespace}/${name}`),
    storageClass: (name) => classes.get(name),
    node: (name) => nodes.get(name),
    now: () => new Date(ctx.now()),
  });

  const report = (key: string, object: PersistentVolume | PersistentVolumeClaim, kind: string, event: BinderEvent | undefined, always: boolean) => {
    if (!event) return;
    const text = `${event.reason}\n${event.message}`;
    if (!always && lastEvent.get(key) === text) return;
    lastEvent.set(key, text);
    if (event.type === 'Warning') recorder.warning(object, event.reason, event.message, kind);
    else recorder.normal(object, event.reason, event.message, kind);
  };

  /** Writes one step; returns the object written (to decide the next step on). */
  const apply = async (step: Exclude<BinderStep, { type: 'wait' }>, signal: AbortSignal): Promise<PersistentVolume | PersistentVolumeClaim> => {
    switch (step.type) {
      case 'updateVolume':
        return volumeClient.update(step.volume, { signal });
      case 'volumeStatus': {
        const ref = step.volume.spec?.claimRef;
        if (step.volume.status?.phase === 'Released' && ref) {
          // The cache may not have the claim yet: release only what the apiserver confirms gone.
          const claim = await liveClaim(claimClient, ref.namespace, ref.name, signal);
          if (claim?.metadata?.uid === ref.uid) throw new Error(`claim ${ref.namespace}/${ref.name} of volume ${step.volume.metadata?.name} exists; the cache is behind`);
        }
        return volumeClient.updateStatus(step.volume, { signal });
      }
      case 'createVolume':
        try {
          return await volumeClient.create(step.volume, { signal });
        } catch (err) {
          if (err instanceof AlreadyExistsError) return volumeClient.get('', step.volume.metadata?.name ?? '', { signal });
          throw err;
        }
      case 'updateClaim':
        return claimClient.update(step.claim, { signal });
      case 'claimStatus':
        return claimClient.updateStatus(step.claim, { signal });
    }
  };

  const run = async (key: string, first: (w: BinderWorld) => BinderStep | undefined, signal: AbortSignal): Promise<ReconcileResult | void> => {
    const volumeOverrides = new Map<string, PersistentVolume>();
    const claimOverrides = new Map<string, PersistentVolumeClaim>();
    for (let i = 0; i < MAX_STEPS; i++) {
      const step = first(world(volumeOverrides, claimOverrides));
      if (!step) return;
      if (step.type === 'wait') {
        if (step.event) {
          const object = key.startsWith('claim:') ? claims.get(key.slice(6)) : volumes.get(key.slice(7));
          if (object) report(key, object, key.startsWith('claim:') ? 'PersistentVolumeClaim' : 'PersistentVolume', step.event, false);
        }
        return step.retry ? { requeueAfterMs: RETRY_MS } : undefined;
      }
      const written = await apply(step, signal);
      log.debug({ key, step: step.type, object: written.metadata?.name }, 'wrote');
      if (step.type === 'createVolume') log.info({ key, volume: written.metadata?.name, path: (written as PersistentVolume).spec?.local?.path }, 'provisioned volume');
      if ('volume' in step) volumeOverrides.set(written.metadata?.name ?? '', written as PersistentVolume);
      else claimOverrides.set(keyOf(written.metadata), written as PersistentVolumeClaim);
      const eventObject = step.type === 'createVolume' ? claims.get(key.slice(6)) : written;
      if (step.event && eventObject) report(key, eventObject, step.type === 'createVolume' || 'claim' in step ? 'PersistentVolumeClaim' : 'PersistentVolume', step.event, true);
    }
    return { requeueAfterMs: 0 };
  };

  const controller = new Controller({
    name: 'persistentvolume-binder',
    workers: ctx.tuning.workers,
    log: ctx.log,
    registry: ctx.registry,
    reconcile: async (key, signal) => {
      if (key.startsWith('claim:')) {
        const { namespace, name } = splitKey(key.slice(6));
        return run(key, (w) => {
          const claim = w.claim(namespace, name);
          if (!claim) lastEvent.delete(key);
          return claim && syncClaim(claim, w);
        }, signal);
      }
      const name = key.slice(7);
      return run(key, (w) => {
        const pv = w.volume(name);
        if (!pv) lastEvent.delete(key);
        return pv && syncVolume(pv, w);
      }, signal);
    },
  });
  const unboundClaimKeys = () => claims.list().filter((c) => !c.spec?.volumeName && !c.metadata?.deletionTimestamp).map((c) => `claim:${keyOf(c.metadata)}`);
  controller.watch(claims, (c) => {
    const keys = [`claim:${keyOf(c.metadata)}`];
    if (c.spec?.volumeName) keys.push(`volume:${c.spec.volumeName}`);
    // A deleted claim releases the volume that names it.
    for (const v of volumes.list()) if (v.spec?.claimRef?.uid && v.spec.claimRef.uid === c.metadata?.uid) keys.push(`volume:${v.metadata?.name}`);
    return keys;
  });
  controller.watch(volumes, (v) => {
    const keys = [`volume:${v.metadata?.name}`];
    const ref = v.spec?.claimRef;
    if (ref?.name) keys.push(`claim:${ref.namespace}/${ref.name}`);
    if (!ref && v.status?.phase === 'Available') keys.push(...unboundClaimKeys());
    return keys;
  });
  controller.watch(classes, () => unboundClaimKeys());
  controller.watch(nodes, (n) => (n.metadata?.annotations ? unboundClaimKeys().filter((k) => claims.get(k.slice(6))?.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === n.metadata?.name) : undefined));
  return controller;
}

/** Reads a claim from the apiserver; undefined when it does not exist. */
export async function liveClaim(client: TypedClient<'persistentVolumeClaim'>, namespace: string, name: string, signal: AbortSignal): Promise<PersistentVolumeClaim | undefined> {
  try {
    return await client.get(namespace, name, { signal });
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
