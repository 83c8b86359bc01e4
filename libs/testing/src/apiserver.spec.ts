import { admissionArgs } from './apiserver';

describe('admissionArgs', () => {
  it('turns the ServiceAccount admission plugin off unless asked for (nothing here creates the default accounts)', () => {
    expect(admissionArgs({})).toEqual(['--disable-admission-plugins=ServiceAccount']);
    expect(admissionArgs({ serviceAccountAdmission: true })).toEqual([]);
  });

  it("leaves the choice to a caller that passes its own list", () => {
    expect(admissionArgs({ extraArgs: ['--disable-admission-plugins='] })).toEqual([]);
    expect(admissionArgs({ extraArgs: ['--disable-admission-plugins', 'DefaultTolerationSeconds'] })).toEqual([]);
  });
});
