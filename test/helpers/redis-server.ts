/**
 * A real Debian `redis-server` for the queue tests: started on a free loopback port with its own
 * temporary folder (RDB file, no config file), stopped and removed by `stop()`. `restart()` stops
 * it (Redis saves its RDB on a clean shutdown) and starts it again on the same port, as an
 * operator restarting Redis would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.WIDTHWISE_REDIS_SERVER ?? 'redis-server';

/** True when `redis-server` runs here. */
export function redisServerAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * How a queue test file should run: skipped with a reason where redis-server is absent and CI is
 * not set; in CI an absent redis-server is a failure (the tests run and fail to start it).
 */
export function redisSkipReason(): string | false {
  if (redisServerAvailable() || process.env.CI) return false;
  return 'redis-server is not installed (apt-get install redis-server); queue tests skipped (they run, and must pass, where CI is set)';
}

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.end(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export interface RedisServerOptions {
  /** Require this password (the URL carries it). */
  password?: string;
  /** Keep the data over a restart (default true); false: a restart empties Redis. */
  persist?: boolean;
}

export class RedisServer {
  private process?: ChildProcess;
  private log = '';

  private constructor(readonly port: number, readonly dir: string, private readonly options: RedisServerOptions) {}

  /** `redis://[:password@]127.0.0.1:<port>` */
  get url(): string {
    return `redis://${this.options.password ? `:${this.options.password}@` : ''}127.0.0.1:${this.port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'ww-redis-')), options);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'no', '--protected-mode', 'yes',
      // With a save point Redis writes its RDB on shutdown and reads it on start; without, a restart loses everything.
      '--save', this.options.persist === false ? '' : '3600 1',
      ...(this.options.password ? ['--requirepass', this.options.password] : []),
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => { this.log += d; });
    child.stderr!.on('data', (d) => { this.log += d; });
    this.process = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${this.log}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not listen on ${this.port} within 10 s: ${this.log}`);
  }

  /** Stops the server (SIGTERM: Redis saves its RDB and exits) and waits for it to exit. */
  async halt(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /**
   * Kills the server (SIGKILL: nothing saved since its last save, which is at the last clean
   * shutdown here) and starts it again on the same port after `downMs`, as a crashed host would.
   */
  async crash(downMs = 0): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  /** Stops and starts again on the same port with the same data folder. */
  async restart(downMs = 0): Promise<void> {
    await this.halt();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
