/**
 * Completion indexes of Indexed Jobs (Kubernetes' pkg/controller/job/indexed_job_utils.go):
 * the index a pod carries in its `batch.kubernetes.io/job-completion-index` annotation, the
 * succeeded indexes as ordered intervals written as "0-2,4" in status.completedIndexes, and the
 * first indexes that neither succeeded nor have an active pod.
 * CONTRACT: pure; malformed input is skipped (an unparsable interval, an index out of range),
 * never thrown.
 */
import { JOB_COMPLETION_INDEX, type Pod } from '@skiff/api';

/** An inclusive range of indexes. */
export interface IndexInterval {
  first: number;
  last: number;
}

/** The pod's completion index, or undefined when absent or not a non-negative integer. */
export function completionIndexOf(pod: Readonly<Pod>): number | undefined {
  const text = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata?.labels?.[JOB_COMPLETION_INDEX];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The index when it is valid for a Job of `completions`, else undefined. */
export function validIndexOf(pod: Readonly<Pod>, completions: number): number | undefined {
  const ix = completionIndexOf(pod);
  return ix !== undefined && ix < completions ? ix : undefined;
}

/**
 * Parses "1,3-5,7" into ordered, merged intervals, dropping indexes >= completions (Kubernetes'
 * parseIndexesFromString). Bad parts are ignored.
 */
export function parseIndexes(text: string, completions: number): IndexInterval[] {
  const intervals: IndexInterval[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = Math.min(m[2] === undefined ? first : Number(m[2]), completions - 1);
    if (first > last) continue;
    intervals.push({ first, last });
  }
  intervals.sort((a, b) => a.first - b.first);
  const merged: IndexInterval[] = [];
  for (const iv of intervals) {
    const prev = merged[merged.length - 1];
    if (prev && iv.first <= prev.last + 1) prev.last = Math.max(prev.last, iv.last);
    else merged.push({ ...iv });
  }
  return merged;
}

/** The intervals with `indexes` added (any order, repeats allowed); the input is not changed. */
export function withIndexes(intervals: readonly IndexInterval[], indexes: Iterable<number>): IndexInterval[] {
  const all = [...intervals.map((iv) => ({ ...iv })), ...[...indexes].map((ix) => ({ first: ix, last: ix }))].sort((a, b) => a.first - b.first);
  const merged: IndexInterval[] = [];
  for (const iv of all) {
    const prev = merged[merged.length - 1];
    if (prev && iv.first <= prev.last + 1) prev.last = Math.max(prev.last, iv.last);
    else merged.push(iv);
  }
  return merged;
}

/** "0-2,4": single indexes alone, runs of two or more as first-last. */
export function formatIndexes(intervals: readonly IndexInterval[]): string {
  return intervals.map((iv) => (iv.first === iv.last ? `${iv.first}` : `${iv.first}-${iv.last}`)).join(',');
}

/** How many indexes the intervals hold. */
export function indexCount(intervals: readonly IndexInterval[]): number {
  return intervals.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
}

/** Whether `ix` is in the intervals. */
export function hasIndex(intervals: readonly IndexInterval[], ix: number): boolean {
  return intervals.some((iv) => iv.first <= ix && ix <= iv.last);
}

/**
 * The first `count` indexes in [0, completions) that are neither succeeded nor held by an active
 * pod (Kubernetes' firstPendingIndexes).
 */
export function firstPendingIndexes(succeeded: readonly IndexInterval[], activeIndexes: ReadonlySet<number>, count: number, completions: number): number[] {
  const result: number[] = [];
  // One walk over the sorted intervals with a cursor: a succeeded interval is skipped whole.
  const sorted = [...succeeded].sort((a, b) => a.first - b.first);
  let cursor = 0;
  for (let ix = 0; ix < completions && result.length < count; ix++) {
    while (cursor < sorted.length && sorted[cursor].last < ix) cursor++;
    if (cursor < sorted.length && sorted[cursor].first <= ix) {
      ix = sorted[cursor].last;
      continue;
    }
    if (!activeIndexes.has(ix)) result.push(ix);
  }
  return result;
}

/**
 * The generateName of the pod for `index`: "<job>-<index>-", the job name cut so that the whole
 * stays within 58 characters (Kubernetes' podGenerateNameWithIndex).
 */
export function indexedPodGenerateName(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = `${jobName}${suffix}`;
  return prefix.length > 58 ? `${jobName.slice(0, 58 - suffix.length)}${suffix}` : prefix;
}
