import { invalidManifests, validManifests } from '@skiff/testing';
import { applyDefaults } from './defaults';
import { InvalidError, type FieldError } from './errors';
import type { ApiObject } from './gen';
import { unwrap } from './kinds';
import { objectFromManifest, parseManifests } from './manifest';
import { objectSizeError, validateObject } from './validation';

/** What the CLI and apiserver together do with a manifest: strict read, defaults, validation (size included). */
function problems(manifest: Record<string, unknown> | string): FieldError[] {
  let objects: ApiObject[];
  try {
    objects = typeof manifest === 'string' ? parseManifests(manifest, 'case.yaml').map((p) => p.object) : [objectFromManifest(manifest, 'case')];
  } catch (err) {
    if (err instanceof InvalidError) return [...err.fields];
    throw err;
  }
  return objects.flatMap((o) => {
    const { info, object } = unwrap(o);
    applyDefaults(info, object);
    const size = objectSizeError(info, object);
    return [...validateObject(info, object), ...(size ? [size] : [])];
  });
}

describe('invalidManifests()', () => {
  const cases = invalidManifests();

  it.each(validManifests().map((m) => [m['kind'] as string, m] as const))('the %s base they derive from is valid', (_kind, manifest) => {
    expect(problems(manifest)).toEqual([]);
  });

  it('has at least 200 distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s is refused naming its field', (_name, c) => {
    const fields = problems(c.manifest).map((e) => e.field);
    expect(fields).toContain(c.field);
  });
});
