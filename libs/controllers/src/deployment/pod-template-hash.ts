/**
 * The pod-template-hash: what names a Deployment's ReplicaSet (`<deployment>-<hash>`) and labels
 * its selector, template and pods, so that each template has its own ReplicaSet and pods of two
 * templates never match the same selector (Kubernetes' controller.ComputeHash, EqualIgnoreHash).
 *
 * The hash is FNV-1a (32 bits) of the template's canonical JSON (proto JSON mapping, keys
 * sorted), salted with the collision count, printed in decimal and mapped onto Kubernetes'
 * "safe" alphabet (no vowels: no words). CONTRACT: pure and stable across processes and
 * restarts; equal templates (ignoring the hash label) give equal hashes.
 */
import { PodTemplateSpec } from '@skiff/api';

/** The label a Deployment adds to its ReplicaSets' selector and template. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Kubernetes' rand.SafeEncodeString alphabet. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  const sort = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return JSON.stringify(sort(JSON.parse(JSON.stringify(value ?? null)) as Json));
}

/** FNV-1a, 32 bits, over bytes. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Maps each character onto the safe alphabet (Kubernetes' SafeEncodeString). */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** The template's canonical JSON with the pod-template-hash label removed. */
function templateJsonIgnoringHash(template: Readonly<PodTemplateSpec> | undefined): string {
  const json = PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(template ?? {})) as { metadata?: { labels?: Record<string, string> } };
  const labels = json.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0) delete json.metadata!.labels;
  }
  return canonicalJson(json);
}

/**
 * The hash of a pod template, salted with `collisionCount` when set (8 bytes, little endian, as
 * Kubernetes writes it). A short string of [b-z2-9] characters.
 */
export function computeTemplateHash(template: Readonly<PodTemplateSpec> | undefined, collisionCount?: number): string {
  const bytes = Buffer.from(canonicalJson(PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(template ?? {}))), 'utf8');
  let input: Uint8Array = bytes;
  if (collisionCount !== undefined) {
    const salt = Buffer.alloc(8);
    salt.writeUInt32LE(collisionCount >>> 0, 0);
    input = Buffer.concat([bytes, salt]);
  }
  return safeEncode(String(fnv1a32(input)));
}

/** Whether two templates are equal once the pod-template-hash label is ignored on both. */
export function equalIgnoreHash(a: Readonly<PodTemplateSpec> | undefined, b: Readonly<PodTemplateSpec> | undefined): boolean {
  return templateJsonIgnoringHash(a) === templateJsonIgnoringHash(b);
}

