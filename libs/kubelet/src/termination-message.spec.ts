import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fallsBackToLogs, lastLogText, readTerminationMessage, withTerminationMessage } from './termination-message';

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'termination-message-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const logs = (text: string) => async () => text;

describe('termination messages', () => {
  it('falls back to the logs only under FallbackToLogsOnError, for a container that ran and failed', () => {
    expect(fallsBackToLogs('FallbackToLogsOnError', 1)).toBe(true);
    expect(fallsBackToLogs('FallbackToLogsOnError', 0)).toBe(false);
    expect(fallsBackToLogs('FallbackToLogsOnError', 128, 'StartError')).toBe(false);
    expect(fallsBackToLogs('File', 1)).toBe(false);
    expect(fallsBackToLogs('', 1)).toBe(false);
  });

  it('keeps the first 2048 bytes of the last lines, and puts the runtime message first', () => {
    expect(lastLogText(Buffer.from('x'.repeat(3000)))).toHaveLength(2048);
    expect(lastLogText(Buffer.from('boom\n'))).toBe('boom\n');
    expect(withTerminationMessage('exec failed', 'boom')).toBe('exec failed: boom');
    expect(withTerminationMessage('', 'boom')).toBe('boom');
    expect(withTerminationMessage('exec failed', '')).toBe('exec failed');
    expect(withTerminationMessage(undefined, '')).toBe('');
  });

  it('reads the last 4096 bytes of the file, whatever the exit code', async () => {
    const file = join(dir, 'long');
    await writeFile(file, `${'a'.repeat(100)}${'b'.repeat(4096)}`);
    expect(await readTerminationMessage({ hostFile: file, policy: 'File', exitCode: 0, logsTail: logs('unused') })).toBe('b'.repeat(4096));
    const short = join(dir, 'short');
    await writeFile(short, 'done');
    expect(await readTerminationMessage({ hostFile: short, policy: 'FallbackToLogsOnError', exitCode: 2, logsTail: logs('unused') })).toBe('done');
  });

  it('uses the logs when the file is empty or missing under FallbackToLogsOnError and the container failed; else nothing', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, '');
    expect(await readTerminationMessage({ hostFile: empty, policy: 'FallbackToLogsOnError', exitCode: 2, logsTail: logs('last words\n') })).toBe('last words\n');
    expect(await readTerminationMessage({ hostFile: empty, policy: 'FallbackToLogsOnError', exitCode: 0, logsTail: logs('last words\n') })).toBe('');
    expect(await readTerminationMessage({ hostFile: join(dir, 'missing'), policy: 'FallbackToLogsOnError', exitCode: 1, logsTail: logs('x') })).toBe('x');
    expect(await readTerminationMessage({ hostFile: join(dir, 'missing'), policy: 'File', exitCode: 1, logsTail: logs('x') })).toBe('');
    // no file mounted (yet)
    expect(await readTerminationMessage({ policy: 'FallbackToLogsOnError', exitCode: 1, logsTail: logs('x') })).toBe('x');
    expect(await readTerminationMessage({ policy: 'File', exitCode: 1, logsTail: logs('x') })).toBe('');
  });

  it('reports a file it cannot read (not a missing one) as Kubernetes does', async () => {
    const unreadable = join(dir, 'a-directory');
    await mkdir(unreadable);
    expect(await readTerminationMessage({ hostFile: unreadable, policy: 'File', exitCode: 1, logsTail: logs('x') })).toMatch(new RegExp(`^Error on reading termination log ${unreadable}: .*EISDIR`));
  });
});
