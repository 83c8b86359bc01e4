import { formatRfc1123z } from './time-format';

describe('formatRfc1123z', () => {
  it("prints Go's RFC1123Z in UTC with a two-digit day", () => {
    expect(formatRfc1123z(new Date(Date.UTC(2024, 4, 1, 12, 3, 4)))).toBe('Wed, 01 May 2024 12:03:04 +0000');
  });
});
