/**
 * How `skiff describe` prints metadata for every kind, as kubectl's describe does (one place for
 * all kinds): timestamps in RFC1123Z (UTC), labels as `key=value` (printLabelsMultiline),
 * annotations as `key: value` (printAnnotationsMultiline: a value with newlines or longer than
 * 140 characters with its key goes on the following lines, each cut at 138 with "...").
 * CONTRACT: pure.
 */
import { formatRfc1123z } from '@skiff/api';

/** kubectl truncates long annotation values in describe (maxAnnotationLen). */
const MAX_ANNOTATION_LENGTH = 140;

/** "Wed, 01 May 2024 12:00:00 +0000", or "<unset>". */
export function describeTime(date: Date | undefined): string {
  return date ? formatRfc1123z(date) : '<unset>';
}

/** One line per label, sorted by key: "k=v". */
export function labelEntries(labels: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels![k]}`);
}

/** The lines of the annotations, sorted by key: "k: v", or "k:" and the value's lines under it. */
export function annotationEntries(annotations: Readonly<Record<string, string>> | undefined): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(annotations ?? {}).sort()) {
    const value = annotations![key].replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LENGTH || value.includes('\n')) {
      lines.push(`${key}:`);
      for (const part of value.split('\n')) lines.push(`  ${part.length > MAX_ANNOTATION_LENGTH - 2 ? `${part.slice(0, MAX_ANNOTATION_LENGTH - 2)}...` : part}`);
    } else {
      lines.push(`${key}: ${value}`);
    }
  }
  return lines;
}

/** Entries as tabwriter rows under `title`: "Title:  first" then "  next"..., or "<none>". */
function titledRows(title: string, entries: readonly string[]): string[][] {
  if (entries.length === 0) return [[`${title}:`, '<none>']];
  return entries.map((e, i) => [i === 0 ? `${title}:` : '', e]);
}

/** kubectl's printLabelsMultiline as rows. */
export function labelRows(title: string, labels: Readonly<Record<string, string>> | undefined): string[][] {
  return titledRows(title, labelEntries(labels));
}

/** kubectl's printAnnotationsMultiline as rows. */
export function annotationRows(title: string, annotations: Readonly<Record<string, string>> | undefined): string[][] {
  return titledRows(title, annotationEntries(annotations));
}
