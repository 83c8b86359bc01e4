import { fitErrorMessage, NO_NODES_MESSAGE } from './fit-error';
import { unresolvable, unschedulable } from './framework/status';

describe('fitErrorMessage', () => {
  it("words it as Kubernetes: '0/2 nodes are available: 2 Insufficient cpu.'", () => {
    expect(fitErrorMessage(2, [unschedulable('Insufficient cpu'), unschedulable('Insufficient cpu')])).toBe('0/2 nodes are available: 2 Insufficient cpu.');
  });

  it('counts each reason over nodes and sorts the "N reason" strings as strings', () => {
    const statuses = [
      ...Array.from({ length: 10 }, () => unresolvable("node(s) didn't match Pod's node affinity/selector")),
      unschedulable('Insufficient cpu', 'Insufficient memory'),
      unschedulable('Insufficient cpu'),
      unresolvable('node(s) had untolerated taint {dedicated: gpu}'),
    ];
    expect(fitErrorMessage(13, statuses)).toBe(
      "0/13 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}, 10 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.",
    );
  });

  it('has its own message for a cluster without nodes', () => {
    expect(fitErrorMessage(0, [])).toBe(NO_NODES_MESSAGE);
  });
});
