import { compactionTarget } from './compaction';

const policy = { retentionMs: 300_000, minRevisions: 100 };

describe('compactionTarget', () => {
  const samples = [
    { atMs: 0, revision: 1_000 },
    { atMs: 300_000, revision: 2_000 },
    { atMs: 600_000, revision: 3_000 },
  ];

  it('compacts to the newest revision sampled at least the retention ago', () => {
    expect(compactionTarget(samples, 600_000, 3_000, 3_000, policy, 0)).toBe(2_000);
  });

  it('never past the published revision, nor within minRevisions of the head', () => {
    expect(compactionTarget(samples, 600_000, 3_000, 1_500, policy, 0)).toBe(1_500);
    expect(compactionTarget(samples, 600_000, 2_050, 3_000, policy, 0)).toBe(1_950);
  });

  it('does nothing without a published revision, with no old sample, or when already there', () => {
    expect(compactionTarget(samples, 600_000, 3_000, undefined, policy, 0)).toBe(0);
    expect(compactionTarget([{ atMs: 500_000, revision: 2_500 }], 600_000, 3_000, 3_000, policy, 0)).toBe(0);
    expect(compactionTarget(samples, 600_000, 3_000, 3_000, policy, 2_000)).toBe(0);
  });
});
