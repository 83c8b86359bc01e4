/**
 * The watch pipeline's wire contract on NATS JetStream, shared by the apiserver's publisher and
 * the clients' informers. See ARCHITECTURE.md "The watch pipeline".
 *
 * - Stream SKIFF_WATCH holds subjects `skiff.watch.>`, file storage, limits-based retention.
 * - One message per etcd revision that changed a key under /registry/, in revision order, on
 *   `skiff.watch.<resource>.<namespace|_>.<name>.<shard|_>`: the shard is the value of the kind's
 *   watch-shard field (KindInfo.watchShard: a pod's spec.nodeName), so that a consumer filtering
 *   on `skiff.watch.pods.*.*.<node>` gets one node's pods' events and nothing else.
 *   Message id (Nats-Msg-Id) = the revision, so a duplicate publish is dropped, and each publish
 *   carries Nats-Expected-Last-Msg-Id = the previous revision on the stream, so a lagging or
 *   second apiserver is refused instead of publishing out of order.
 * - Payload: a protobuf-encoded WatchEvent (type, object, revision, resource, namespace, name).
 *   The object is the stored bytes as they are, so its metadata.resourceVersion is empty on the
 *   wire: it is the event's revision by definition, and decodeWatchEvent stamps it.
 * - Header Skiff-Prev-Revision: the revision of the previous event of the same resource on the
 *   stream (0 when unknown). An informer that has seen revision R of a resource and receives an
 *   event whose previous revision is > R has missed an event and relists.
 * - Header Skiff-Resource-Revisions: JSON {resource: last revision} after this event, so that a
 *   restarted publisher recovers every resource's previous revision from the stream's last message.
 */

import { WatchEvent } from '@skiff/api';

export const WATCH_STREAM = 'SKIFF_WATCH';
export const WATCH_SUBJECT_PREFIX = 'skiff.watch';

export const HEADER_PREV_REVISION = 'Skiff-Prev-Revision';
export const HEADER_RESOURCE_REVISIONS = 'Skiff-Resource-Revisions';

/** Namespace token used in subjects for cluster-scoped objects. */
export const CLUSTER_SCOPE_TOKEN = '_';

/** NATS subject tokens cannot hold '.', '*', '>' or spaces; names may hold dots. */
export function subjectToken(value: string): string {
  return value.replace(/[.*> %]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Subject token for an empty value (cluster scope, no shard): names and node names cannot be "_". */
const EMPTY_TOKEN = CLUSTER_SCOPE_TOKEN;

const tokenOrEmpty = (value: string) => (value ? subjectToken(value) : EMPTY_TOKEN);

/** `skiff.watch.<resource>.<namespace|_>.<name>.<shard|_>`: the subject of one event of an object. */
export function watchSubject(resource: string, namespace: string, name: string, shard = ''): string {
  return [WATCH_SUBJECT_PREFIX, resource, tokenOrEmpty(namespace), subjectToken(name), tokenOrEmpty(shard)].join('.');
}

/** The filter subject for every event of one object: `skiff.watch.<resource>.<namespace|_>.<name>.*`. */
export function objectFilter(resource: string, namespace: string, name: string): string {
  return [WATCH_SUBJECT_PREFIX, resource, tokenOrEmpty(namespace), subjectToken(name), '*'].join('.');
}

/** The filter subject for every event of one shard of a resource (one node's pods): `skiff.watch.<resource>.*.*.<shard|_>`. */
export function shardFilter(resource: string, shard: string): string {
  return [WATCH_SUBJECT_PREFIX, resource, '*', '*', tokenOrEmpty(shard)].join('.');
}

/** The filter subject for every event of a resource: `skiff.watch.<resource>.>`. */
export function resourceFilter(resource: string): string {
  return `${WATCH_SUBJECT_PREFIX}.${resource}.>`;
}

/**
 * Decodes a watch stream payload; the object's resourceVersion is the event's revision (the
 * publisher sends the stored bytes, which carry none).
 */
export function decodeWatchEvent(payload: Uint8Array): WatchEvent {
  const event = WatchEvent.decode(payload);
  const meta = (event.object?.kind?.value as { metadata?: { resourceVersion: string } } | undefined)?.metadata;
  if (meta && !meta.resourceVersion) meta.resourceVersion = String(event.revision);
  return event;
}
