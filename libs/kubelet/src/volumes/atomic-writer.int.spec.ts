/**
 * The AtomicWriter on the real file system (a temp dir), including a reader in another thread
 * that reads the file in a loop while it is updated.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AtomicWriteError, AtomicWriter, cleanPayload, invalidPathReason, timestampDirPrefix } from './atomic-writer';
import type { Payload } from './projection';

const file = (text: string | Buffer, mode = 0o644) => ({ data: Buffer.from(text), mode });

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-atomic-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function listing(): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

describe('paths', () => {
  it("refuses what Kubernetes' validatePath refuses", () => {
    expect(invalidPathReason('')).toBe('invalid path: must not be empty: ""');
    expect(invalidPathReason('/etc/passwd')).toBe('invalid path: must be relative path: /etc/passwd');
    expect(invalidPathReason('a/../../b')).toBe("invalid path: must not contain '..': a/../../b");
    expect(invalidPathReason('..data/x')).toBe("invalid path: must not start with '..': ..data/x");
    expect(invalidPathReason('x'.repeat(256))).toBe('invalid path: filenames must be less than or equal to 255 characters');
    expect(invalidPathReason('a/b.c/..d')).toBeUndefined();
  });

  it('cleans paths so that no empty or dot segment remains', () => {
    expect(Object.keys(cleanPayload({ 'a//b/': file('1'), './c': file('2'), 'd/./e': file('3') }))).toEqual(['a/b', 'c', 'd/e']);
    expect(() => cleanPayload({ './': file('1') })).toThrow(AtomicWriteError);
    expect(() => cleanPayload({ '../x': file('1') })).toThrow("invalid path: must not contain '..': ../x");
  });

  it('names timestamped dirs as Kubernetes (UTC)', () => {
    expect(timestampDirPrefix(new Date(Date.UTC(2026, 11, 7, 3, 51, 57, 123)))).toBe('..2026_12_07_03_51_57.');
  });
});

describe('AtomicWriter', () => {
  it('writes a timestamped dir, the ..data symlink and one symlink per top-level name', async () => {
    const w = new AtomicWriter(dir);
    expect(await w.write({ 'app.conf': file('port=80\n'), 'nested/deep/key': file('v', 0o400) })).toBe(true);
    const entries = await listing();
    expect(entries).toEqual([expect.stringMatching(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/), '..data', 'app.conf', 'nested']);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(entries[0]);
    expect(await fs.readlink(path.join(dir, 'app.conf'))).toBe('..data/app.conf');
    expect(await fs.readlink(path.join(dir, 'nested'))).toBe('..data/nested');
    expect(await fs.readFile(path.join(dir, 'app.conf'), 'utf8')).toBe('port=80\n');
    expect(await fs.readFile(path.join(dir, 'nested/deep/key'), 'utf8')).toBe('v');
    expect((await fs.stat(path.join(dir, 'nested/deep/key'))).mode & 0o7777).toBe(0o400);
    expect((await fs.stat(path.join(dir, 'nested/deep'))).mode & 0o7777).toBe(0o755);
    expect((await fs.stat(path.join(dir, entries[0]))).mode & 0o7777).toBe(0o755);
  });

  it('sets modes exactly, whatever the umask', async () => {
    const old = process.umask(0o077);
    try {
      await new AtomicWriter(dir).write({ a: file('x', 0o666), b: file('y', 0o755) });
    } finally {
      process.umask(old);
    }
    expect((await fs.stat(path.join(dir, 'a'))).mode & 0o7777).toBe(0o666);
    expect((await fs.stat(path.join(dir, 'b'))).mode & 0o7777).toBe(0o755);
  });

  it('rewrites nothing when bytes and modes are unchanged, and everything when one differs', async () => {
    const w = new AtomicWriter(dir);
    const payload: Payload = { a: file('1'), 'd/b': file('2') };
    await w.write(payload);
    const first = await fs.readlink(path.join(dir, '..data'));
    expect(await w.write({ a: file('1'), 'd/b': file('2') })).toBe(false);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(first);

    expect(await w.write({ a: file('1', 0o600), 'd/b': file('2') })).toBe(true);
    const second = await fs.readlink(path.join(dir, '..data'));
    expect(second).not.toBe(first);
    expect(await listing()).toEqual([second, '..data', 'a', 'd'].sort());
    expect(await w.write({ a: file('1', 0o600), 'd/b': file('3') })).toBe(true);
    expect(await fs.readFile(path.join(dir, 'd/b'), 'utf8')).toBe('3');
  });

  it('removes the top-level symlinks of files no longer in the payload and the old version', async () => {
    const w = new AtomicWriter(dir);
    await w.write({ a: file('1'), b: file('2'), 'd/x': file('3') });
    expect(await w.write({ a: file('1') })).toBe(true);
    const current = await fs.readlink(path.join(dir, '..data'));
    expect(await listing()).toEqual([current, '..data', 'a'].sort());
    // An emptied payload leaves only ..data and its (empty) dir.
    expect(await w.write({})).toBe(true);
    expect(await listing()).toEqual([await fs.readlink(path.join(dir, '..data')), '..data'].sort());
    expect(await w.write({})).toBe(false);
  });

  it('re-creates a user-visible symlink someone removed, without a new version', async () => {
    const w = new AtomicWriter(dir);
    await w.write({ a: file('1') });
    await fs.unlink(path.join(dir, 'a'));
    expect(await w.write({ a: file('1') })).toBe(false);
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('1');
  });

  it('writes binary content unchanged', async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0x80, 0xfe]);
    await new AtomicWriter(dir).write({ 'bin.dat': file(bytes) });
    expect((await fs.readFile(path.join(dir, 'bin.dat'))).equals(bytes)).toBe(true);
  });

  it('gives every entry the fsGroup, files g+r and directories setgid, as Kubernetes', async () => {
    const w = new AtomicWriter(dir);
    expect(await w.write({ key: file('s', 0o400), 'sub/k2': file('t', 0o600) }, { fsGroup: 2345 })).toBe(true);
    const ts = await fs.readlink(path.join(dir, '..data'));
    const key = await fs.stat(path.join(dir, 'key'));
    expect([key.gid, key.mode & 0o7777]).toEqual([2345, 0o440]);
    const k2 = await fs.stat(path.join(dir, 'sub/k2'));
    expect([k2.gid, k2.mode & 0o7777]).toEqual([2345, 0o640]);
    const sub = await fs.stat(path.join(dir, 'sub'));
    expect([sub.gid, sub.mode & 0o7777]).toEqual([2345, 0o2755]);
    expect((await fs.stat(path.join(dir, ts))).gid).toBe(2345);
    expect((await fs.lstat(path.join(dir, 'key'))).gid).toBe(2345);
    expect(await w.write({ key: file('s', 0o400), 'sub/k2': file('t', 0o600) }, { fsGroup: 2345 })).toBe(false);
    expect(await w.write({ key: file('s', 0o400), 'sub/k2': file('t', 0o600) }, { fsGroup: 2346 })).toBe(true);
  });

  it('refuses invalid paths and a path that is both a file and a directory, keeping the previous version', async () => {
    const w = new AtomicWriter(dir);
    await w.write({ a: file('1') });
    await expect(w.write({ '../evil': file('x') })).rejects.toThrow(AtomicWriteError);
    await expect(w.write({ x: file('1'), 'x/y': file('2') })).rejects.toThrow('invalid payload: x is both a file and a directory');
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('1');
  });

  it('fails when the target dir does not exist', async () => {
    await expect(new AtomicWriter(path.join(dir, 'missing')).write({ a: file('1') })).rejects.toThrow(/ENOENT/);
  });

  it('never shows a reader in another thread a missing, empty or partial file during 100 updates', async () => {
    const w = new AtomicWriter(dir);
    const content = (i: number) => `version-${String(i).padStart(3, '0')};`.repeat(8192); // 104 KiB: several read() calls
    await w.write({ 'config.txt': file(content(0)) });
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const stop = new Int32Array(workerData.stop);
      let reads = 0, badCount = 0;
      const bad = [], seen = new Set();
      while (Atomics.load(stop, 0) === 0) {
        let text;
        try { text = fs.readFileSync(workerData.file, 'utf8'); } catch (e) { badCount++; bad.push(e.code); continue; }
        if (reads++ === 0) parentPort.postMessage('reading');
        const m = /^version-(\\d{3});/.exec(text);
        if (!m || text !== m[0].repeat(8192)) { badCount++; bad.push('partial:' + text.length); }
        else seen.add(m[1]);
      }
      parentPort.postMessage({ reads, bad: bad.slice(0, 10), badCount, versions: seen.size });
      `,
      { eval: true, workerData: { file: path.join(dir, 'config.txt'), stop: stop.buffer } },
    );
    const messages: unknown[] = [];
    const next = () =>
      new Promise<unknown>((resolve, reject) => {
        if (messages.length) return resolve(messages.shift());
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    try {
      expect(await next()).toBe('reading');
      for (let i = 1; i <= 100; i++) expect(await w.write({ 'config.txt': file(content(i)) })).toBe(true);
    } finally {
      Atomics.store(stop, 0, 1);
    }
    const r = (await next()) as { reads: number; bad: string[]; badCount: number; versions: number };
    await worker.terminate();
    expect(r.bad).toEqual([]);
    expect(r.badCount).toBe(0);
    expect(r.reads).toBeGreaterThan(100);
    expect(r.versions).toBeGreaterThan(10);
    expect(await fs.readFile(path.join(dir, 'config.txt'), 'utf8')).toBe(content(100));
    expect((await listing()).length).toBe(3);
  });
});
