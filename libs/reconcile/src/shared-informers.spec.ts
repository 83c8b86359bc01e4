import type { Pod } from '@skiff/api';
import type { BusConnection } from '@skiff/bus';
import type { SkiffClient } from '@skiff/client';
import { SharedInformers } from './shared-informers';

// Nothing here starts an informer: the client and the bus are never used.
const informers = () => new SharedInformers({ client: {} as SkiffClient, bus: {} as BusConnection });
const byNode = (p: Readonly<Pod>) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

describe('SharedInformers', () => {
  it('hands out one informer per kind', () => {
    const shared = informers();
    expect(shared.get('pod')).toBe(shared.get('pod'));
    expect(shared.get('pod')).not.toBe(shared.get('node'));
  });

  it('adds the indexes a later caller asks for, whatever the order the controllers were built in', () => {
    const shared = informers();
    const first = shared.get('pod');
    const second = shared.get('pod', { byNode });
    expect(second).toBe(first);
    expect(first.byIndex('byNode', 'n1')).toEqual([]);
    expect(shared.get('pod', { byNode })).toBe(first); // asking again with the same index is fine
  });
});
