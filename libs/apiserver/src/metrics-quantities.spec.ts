import { parseCpuMillis, parseQuantity } from '@skiff/api';
import { formatMemoryBytes, formatNanoCores } from './metrics-quantities';

describe('metrics quantities', () => {
  it('prints CPU in the largest exact suffix, as Kubernetes canonicalizes nanocores', () => {
    expect(formatNanoCores(0)).toBe('0');
    expect(formatNanoCores(2e9)).toBe('2');
    expect(formatNanoCores(2.5e8)).toBe('250m');
    expect(formatNanoCores(12_000)).toBe('12u');
    expect(formatNanoCores(329_087_452)).toBe('329087452n');
    expect(parseCpuMillis(formatNanoCores(329_087_452))).toBe(330); // kubectl rounds up to millicores
  });

  it('prints memory in the largest exact binary suffix', () => {
    expect(formatMemoryBytes(100 * 2 ** 20)).toBe('100Mi');
    expect(formatMemoryBytes(106_360_832)).toBe('103868Ki');
    expect(formatMemoryBytes(1000)).toBe('1000');
    expect(parseQuantity(formatMemoryBytes(106_360_832))).toBe(106_360_832);
  });
});
