import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TEST_IMAGE, dockerApi, ensureDocker, ensureTestImages, labelledContainers, removeLabelledDockerObjects, testLabel } from './docker';

const docker = async (...args: string[]) => (await promisify(execFile)('docker', args)).stdout.trim();

describe('docker for tests', () => {
  const label = testLabel();
  afterAll(() => removeLabelledDockerObjects(label.filter), 30_000);

  it('has dockerd answering and the test image served by the local registry', async () => {
    await Promise.all([ensureDocker(), ensureDocker()]);
    expect((await dockerApi('GET', '/_ping')).body).toBe('OK');
    expect(await ensureTestImages()).toBe(TEST_IMAGE);
    const manifest = await fetch('http://127.0.0.1:5000/v2/skiff/busybox/manifests/latest', {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(manifest.ok).toBe(true);
    const { config } = (await manifest.json()) as { config: { digest: string } };
    expect(config.digest).toBe(await docker('image', 'inspect', '-f', '{{.Id}}', TEST_IMAGE));
  }, 180_000);

  it('removes every container and network carrying a label, and nothing else', async () => {
    const other = testLabel();
    await docker('network', 'create', '--label', label.filter, `skiff-test-${label.value}`);
    await docker('create', '--label', label.filter, TEST_IMAGE);
    await docker('run', '-d', '--label', label.filter, TEST_IMAGE, 'sleep', 'infinity');
    const kept = await docker('create', '--label', other.filter, TEST_IMAGE);
    try {
      expect(await labelledContainers(label.filter)).toHaveLength(2);
      expect(await removeLabelledDockerObjects(label.filter)).toBe(2);
      expect(await labelledContainers(label.filter)).toEqual([]);
      expect(await docker('network', 'ls', '-q', '--filter', `label=${label.filter}`)).toBe('');
      expect(await labelledContainers(other.filter)).toEqual([kept]);
    } finally {
      await removeLabelledDockerObjects(other.filter);
    }
  }, 60_000);
});
