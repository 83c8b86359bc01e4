import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { POD_FIELD_SUPPORT, podSpecMessageTypes, refusedPodFields } from './pod-field-support';
import { messageSchema } from './proto-schema';

const ROOT = join(__dirname, '../../..');

describe('the pod field table', () => {
  const types = podSpecMessageTypes();

  it.each(types)('has a row for every field of %s', (typeName) => {
    const short = typeName.slice(typeName.lastIndexOf('.') + 1);
    const rows = POD_FIELD_SUPPORT[short] ?? {};
    const missing = messageSchema(typeName).fields.map((f) => f.jsonName).filter((name) => !(name in rows));
    expect(missing).toEqual([]);
  });

  it('has no row for a field or message that is not in the proto', () => {
    const known = new Map(types.map((t) => [t.slice(t.lastIndexOf('.') + 1), messageSchema(t)]));
    const stale = Object.entries(POD_FIELD_SUPPORT).flatMap(([message, rows]) =>
      Object.keys(rows).filter((field) => !known.get(message)?.byJsonName.has(field)).map((field) => `${message}.${field}`),
    );
    expect(stale).toEqual([]);
  });

  it('names, for every supported field, a test file that exists and mentions the field', () => {
    const bad: string[] = [];
    for (const [message, rows] of Object.entries(POD_FIELD_SUPPORT)) {
      for (const [field, row] of Object.entries(rows)) {
        if (!('test' in row)) continue;
        const file = join(ROOT, row.test);
        if (!existsSync(file)) bad.push(`${message}.${field}: ${row.test} does not exist`);
        else if (!readFileSync(file, 'utf8').includes(field)) bad.push(`${message}.${field}: ${row.test} never mentions ${field}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('refusedPodFields', () => {
  it('names each refused field that is set, with its path and reason', () => {
    const errs = refusedPodFields({ containers: [{ name: 'a', image: 'x', lifecycle: { preStop: { sleep: { seconds: 1 } } } }], subdomain: 'web' }, 'spec.template.spec');
    expect(errs.map((e) => e.field)).toEqual(['spec.template.spec.subdomain']);
    expect(errs.find((e) => e.field.endsWith('subdomain'))?.detail).toMatch(/^Forbidden: spec.subdomain needs headless Services/);
  });

  it('accepts supported fields and defaults of refused ones', () => {
    expect(refusedPodFields({ containers: [{ name: 'a', image: 'x', stdin: false, ports: [{ containerPort: 80 }] }], restartPolicy: 'Always', nodeSelector: {} }, 'spec')).toEqual([]);
  });
});
