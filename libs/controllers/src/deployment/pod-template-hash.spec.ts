import { PodTemplateSpec } from '@skiff/api';
import { deploymentOf, withImage } from './deployment-fixtures.spec-helper';
import { computeTemplateHash, equalIgnoreHash, fnv1a32, POD_TEMPLATE_HASH_LABEL, safeEncode } from './pod-template-hash';

describe('pod-template-hash', () => {
  const template = deploymentOf().spec!.template!;

  it('is FNV-1a 32 (reference vectors)', () => {
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  it('encodes onto the safe alphabet as Kubernetes does (digits -> 4..9, b, c, d, f)', () => {
    expect(safeEncode('0123456789')).toBe('456789bcdf');
  });

  it('is stable, short and made of safe characters', () => {
    const hash = computeTemplateHash(template);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeTemplateHash(structuredClone(template))).toBe(hash);
  });

  it('does not depend on map key order or unset fields', () => {
    const a = PodTemplateSpec.fromPartial({ metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const b = PodTemplateSpec.fromPartial({ metadata: { labels: { b: '2', a: '1' } }, spec: { containers: [{ name: 'c', image: 'i', args: [] }] } });
    expect(computeTemplateHash(a)).toBe(computeTemplateHash(b));
  });

  it('differs for another template and for another collision count', () => {
    const other = withImage(deploymentOf(), 'busybox:2').spec!.template!;
    expect(computeTemplateHash(other)).not.toBe(computeTemplateHash(template));
    expect(computeTemplateHash(template, 1)).not.toBe(computeTemplateHash(template));
    expect(computeTemplateHash(template, 1)).not.toBe(computeTemplateHash(template, 2));
  });

  it('compares templates ignoring the hash label only', () => {
    const labelled = structuredClone(template);
    labelled.metadata!.labels = { ...labelled.metadata!.labels, [POD_TEMPLATE_HASH_LABEL]: 'abc' };
    expect(equalIgnoreHash(labelled, template)).toBe(true);
    const relabelled = structuredClone(template);
    relabelled.metadata!.labels = { ...relabelled.metadata!.labels, tier: 'x' };
    expect(equalIgnoreHash(relabelled, template)).toBe(false);
    expect(equalIgnoreHash(withImage(deploymentOf(), 'busybox:2').spec!.template, template)).toBe(false);
  });
});
