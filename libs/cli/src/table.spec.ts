import { objectRef, qualifiedKind } from './resource-name';
import { columnWidths, formatRow, renderTable } from './table';
import { findKind } from '@skiff/api';

describe('renderTable', () => {
  it('pads every column but the last to its widest cell plus three spaces (minimum 6)', () => {
    expect(renderTable(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], [['web', '1/1', 'Running', '0', '5s'], ['database-0', '0/1', 'Pending', '0', '2m5s']])).toEqual([
      'NAME         READY   STATUS    RESTARTS   AGE',
      'web          1/1     Running   0          5s',
      'database-0   0/1     Pending   0          2m5s',
    ]);
  });

  it('keeps widths for later rows (watch) and grows for long cells', () => {
    const widths = columnWidths([['NAME', 'AGE']]);
    expect(widths[0]).toBe(7);
    expect(formatRow(['a', '1s'], widths)).toBe('a      1s');
    expect(formatRow(['a-very-long-name', '1s'], widths)).toBe('a-very-long-name   1s');
  });
});

describe('resource names', () => {
  it('adds the group for non-core kinds, as kubectl does', () => {
    expect(objectRef(findKind('pod')!, 'web')).toBe('pod/web');
    expect(objectRef(findKind('deploy')!, 'web')).toBe('deployment.apps/web');
    expect(qualifiedKind(findKind('hpa')!)).toBe('horizontalpodautoscaler.autoscaling');
    expect(qualifiedKind(findKind('lease')!)).toBe('lease.coordination.k8s.io');
    expect(qualifiedKind(findKind('cm')!)).toBe('configmap');
  });
});
