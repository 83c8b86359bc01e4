import { ALL_ADMISSION_PLUGINS, enabledAdmissionPlugins } from './admission-plugins';

describe('enabledAdmissionPlugins', () => {
  it('runs every plugin unless disabled, by Kubernetes name', () => {
    expect([...enabledAdmissionPlugins()]).toEqual(['DefaultTolerationSeconds', 'ServiceAccount', 'DefaultStorageClass', 'StorageObjectInUseProtection']);
    expect([...enabledAdmissionPlugins([''])]).toEqual([...ALL_ADMISSION_PLUGINS]);
    expect([...enabledAdmissionPlugins(['ServiceAccount'])]).toEqual(['DefaultTolerationSeconds', 'DefaultStorageClass', 'StorageObjectInUseProtection']);
    expect([...enabledAdmissionPlugins([' ServiceAccount ', 'DefaultTolerationSeconds', 'DefaultStorageClass', 'StorageObjectInUseProtection'])]).toEqual([]);
  });

  it('refuses an unknown plugin, naming it', () => {
    expect(() => enabledAdmissionPlugins(['ServiceAccount', 'PodSecurity'])).toThrow('admission plugin "PodSecurity" is not known; known plugins: DefaultTolerationSeconds, ServiceAccount, DefaultStorageClass, StorageObjectInUseProtection');
  });
});
