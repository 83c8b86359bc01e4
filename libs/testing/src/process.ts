import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GiveUp } from './wait-for';

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
    // The jest environment (tools/jest/environment.cjs) stops what a spec left running.
    const started = ((globalThis as { __skiffTestProcesses?: Set<TestProcess> }).__skiffTestProcesses ??= new Set());
    started.add(this);
    child.once('exit', () => started.delete(this));
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

/** A server a test started exited before it was up (e.g. its port was taken after freePort chose it). */
export class ExitedWhileStarting extends GiveUp {
  constructor(proc: TestProcess) {
    super(`${proc.name} exited while starting:\n${proc.recentOutput}`);
  }
}

/** Throws ExitedWhileStarting when `proc` is no longer running: for waitFor checks while a server starts. */
export function assertStarting(proc: TestProcess): void {
  if (!proc.running) throw new ExitedWhileStarting(proc);
}

/** Runs `start` (which picks its own free ports) again, up to `attempts` times in all, when its server exited while starting. */
export async function startRetrying<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !(err instanceof ExitedWhileStarting)) throw err;
    }
  }
}

/**
 * Node's flags for a component a test or benchmark starts: source maps, and a CPU profile per
 * process written to $SKIFF_CPU_PROF_DIR on exit when that is set (to see where a benchmark's
 * time goes: `SKIFF_CPU_PROF_DIR=/tmp/prof npm run bench -- daemonset`).
 */
export function componentNodeFlags(): string[] {
  const dir = process.env.SKIFF_CPU_PROF_DIR;
  return ['--enable-source-maps', ...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [])];
}
