/**
 * A widthwise CLI child that runs alongside the test (a queue worker, a controller to kill): its
 * output is collected as it comes, and the test can wait for a line, kill it, or wait for its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../fixtures/widthwise-child.js';

export interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
}

export class LiveChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => { this.stdout += d; });
    this.child.stderr!.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.child.on('close', (status, signal) => resolve({ status, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the match once stderr matches `pattern`; rejects after `ms` or if the child exits first. */
  async waitFor(pattern: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => { exited = true; });
    for (;;) {
      const m = this.stderr.match(pattern);
      if (m) return m;
      if (exited) throw new Error(`the child exited before printing ${pattern}; stderr:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms; stderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM (a worker finishes its trials and exits) and waits for the exit. */
  async stop(): Promise<Exit> {
    this.kill('SIGTERM');
    return this.exited;
  }
}
