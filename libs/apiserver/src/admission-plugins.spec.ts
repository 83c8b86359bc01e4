import { ALL_ADMISSION_PLUGINS, enabledAdmissionPlugins } from './admission-plugins';

describe('enabledAdmissionPlugins', () => {
  it('runs every plugin unless disabled, by Kubernetes name', () => {
    expect([...enabledAdmissionPlugins()]).toEqual(['DefaultTolerationSeconds', 'ServiceAccount']);
    expect([...enabledAdmissionPlugins([''])]).toEqual([...ALL_ADMISSION_PLUGINS]);
    expect([...enabledAdmissionPlugins(['ServiceAccount'])]).toEqual(['DefaultTolerationSeconds']);
    expect([...enabledAdmissionPlugins([' ServiceAccount ', 'DefaultTolerationSeconds'])]).toEqual([]);
  });

  it('refuses an unknown plugin, naming it', () => {
    expect(() => enabledAdmissionPlugins(['ServiceAccount', 'PodSecurity'])).toThrow('admission plugin "PodSecurity" is not known; known plugins: DefaultTolerationSeconds, ServiceAccount');
  });
});
