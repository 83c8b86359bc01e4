/**
 * `skiff get statefulsets` columns, as kubectl 1.32 prints them: NAME READY AGE (-o wide adds
 * CONTAINERS IMAGES); READY is status.readyReplicas/spec.replicas. Pure.
 */
import type { StatefulSet } from '@skiff/api';
import { ageOf } from './age';

const replicasOf = (sts: Readonly<StatefulSet>) => sts.spec?.replicas ?? 1;

function containersAndImages(sts: Readonly<StatefulSet>): string[] {
  const containers = sts.spec?.template?.spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(',')];
}

/** `skiff get statefulsets` columns, in the shape of table-columns.ts' KindColumns. */
export const STATEFULSET_COLUMNS: Record<string, { header: string[]; wideHeader?: string[]; cells(object: never, now: Date): string[]; wideCells?(object: never, now: Date): string[] }> = {
  statefulsets: {
    header: ['READY', 'AGE'],
    wideHeader: ['CONTAINERS', 'IMAGES'],
    cells: (sts: StatefulSet, now) => [`${sts.status?.readyReplicas ?? 0}/${replicasOf(sts)}`, ageOf(sts.metadata?.creationTimestamp, now)],
    wideCells: (sts: StatefulSet) => containersAndImages(sts),
  },
};

