import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How much of a process's output allOutput keeps. */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;

/** A child process a test started; `stop()` kills it (SIGTERM, then SIGKILL) and cleans up. */
export class TestProcess {
  private exited: Promise<void>;
  private output: string[] = [];
  private all: string[] = [];
  private allBytes = 0;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly cleanup: () => void = () => undefined,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output.push(text);
      if (this.output.length > 200) this.output.shift();
      if (this.allBytes < MAX_KEPT_BYTES) {
        this.all.push(text);
        this.allBytes += text.length;
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed, for error messages. */
  get recentOutput(): string {
    return this.output.join('').split('\n').slice(-30).join('\n');
  }

  /** Everything the process printed (the first MAX_KEPT_BYTES of it), e.g. to check that a secret never reached a log. */
  get allOutput(): string {
    return this.all.join('');
  }

  /** Kills the process hard (SIGKILL), as a crash would, and waits for it to exit. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops gracefully (SIGTERM, SIGKILL after graceMs) and removes its temp files. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.cleanup();
  }
}

export function startProcess(name: string, command: string, args: string[], cleanup?: () => void, env?: NodeJS.ProcessEnv): TestProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  return new TestProcess(name, child, cleanup);
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `skiff-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
