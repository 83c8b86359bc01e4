import { parseMountInfo } from './mounts';

describe('parseMountInfo', () => {
  it('reads mount points (octal escapes undone), file system types and options', () => {
    const text = [
      '22 27 0:21 / /proc rw,relatime - proc proc rw',
      '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue',
      '501 27 0:63 / /var/lib/skiff/pods/u1/volumes/kubernetes.io~secret/creds rw,relatime - tmpfs tmpfs rw,size=65536k,mode=1777',
      'garbage',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/proc', fsType: 'proc', source: 'proc', superOptions: 'rw' },
      { mountPoint: '/mnt/with space', fsType: 'ext3', source: '/dev/root', superOptions: 'rw,errors=continue' },
      { mountPoint: '/var/lib/skiff/pods/u1/volumes/kubernetes.io~secret/creds', fsType: 'tmpfs', source: 'tmpfs', superOptions: 'rw,size=65536k,mode=1777' },
    ]);
  });
});
