import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SetupError } from '../errors.ts';

/**
 * Helpers for the embedded defaults: a local Postgres or redis-server started
 * as a child process, owned by this process and stopped when it exits.
 *
 * The rule: whoever starts a server stops it. A paperboy killed with -9
 * cannot, so its servers keep running; the next paperboy on the same data dir
 * reuses them and, their owner being gone, takes them over: it stops them on
 * its own clean shutdown. A server whose owner still runs (a command run
 * next to `paperboy start`) is used and left to its owner.
 */

/** Asks the kernel for a free loopback port. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** True when nothing listens on this loopback port (as far as binding it now can tell). */
export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    // Any other refusal (a privileged port, say) is left for the server itself to report when it tries.
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE'));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** True when a process with this pid runs (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/**
 * An exited process its parent has not reaped yet still answers signal 0.
 * An adopted server's parent is whatever took in the orphan, which may be
 * slow to reap it (or never will): Linux's /proc says Z. Elsewhere: false.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state ...": the command may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export interface SpawnedService {
  child: ChildProcess;
  /** Stops the process with `signal` and waits for it to exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Spawns a long-running service with its output appended to `logFile`, and
 * records this process as its owner in `ownerFile`. If this process exits
 * without calling `stop` (an uncaught error), the child is signalled from the
 * synchronous 'exit' hook so it is not left behind.
 */
export function spawnService(
  command: string,
  args: string[],
  options: {
    logFile: string;
    ownerFile: string;
    uid?: number;
    gid?: number;
    stopSignal: NodeJS.Signals;
    /** In a process group of its own: a Ctrl-C at the terminal then reaches this process alone, which stops it when done. */
    ownProcessGroup?: boolean;
  },
): SpawnedService {
  const logFd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', logFd, logFd],
    detached: options.ownProcessGroup ?? false,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
  });
  closeSync(logFd);
  claimOwnership(options.ownerFile);
  const onParentExit = () => child.kill(options.stopSignal);
  process.on('exit', onParentExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => process.off('exit', onParentExit));
  return {
    child,
    async stop(signal = options.stopSignal, graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs, true, { ref: false })]);
        if (timedOut) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(options.ownerFile, { force: true });
    },
  };
}

/** Records this process as the owner of a server: the one that stops it. */
function claimOwnership(ownerFile: string): void {
  writeFileSync(ownerFile, `${process.pid}\n`);
}

/**
 * For a server found running (process `pid`): when the process that owned it
 * is gone (or none is recorded), this process takes it over and `stop` stops
 * it, as if it had spawned it; otherwise `stop` leaves it to its live owner.
 */
export async function adoptIfOrphaned(
  ownerFile: string,
  pid: number,
  stopSignal: NodeJS.Signals,
): Promise<{ adoptedFrom?: number | 'unknown'; stop(): Promise<void> }> {
  const owner = Number((await readFile(ownerFile, 'utf8').catch(() => '')).trim());
  const known = Number.isInteger(owner) && owner > 0;
  if (known && isProcessAlive(owner)) return { stop: async () => undefined };
  claimOwnership(ownerFile);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  // Like a spawned server: signalled if this process exits without stopping it.
  const onParentExit = () => signal(stopSignal);
  process.on('exit', onParentExit);
  return {
    adoptedFrom: known ? owner : 'unknown',
    async stop() {
      process.off('exit', onParentExit);
      signal(stopSignal);
      // Not a child of ours: there is no exit event to wait for, only the pid to watch.
      if (!(await exitsWithin(pid, 15_000))) {
        signal('SIGKILL');
        await exitsWithin(pid, 15_000);
      }
      rmSync(ownerFile, { force: true });
    },
  };
}

/** Polls until the process `pid` is gone; false if it still runs after `timeoutMs`. */
async function exitsWithin(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Polls `probe` until it succeeds. Fails early, with the tail of the log, if
 * the child exits first, and after `timeoutMs` otherwise.
 *
 * @throws SetupError naming the service, with the tail of its log.
 */
export async function waitUntilReady(
  name: string,
  service: SpawnedService,
  logFile: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new SetupError(`${name} exited during start-up; its log (${logFile}) ends with:\n${tailOf(logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  await service.stop('SIGKILL');
  throw new SetupError(
    `${name} did not become ready within ${timeoutMs / 1000} s; see ${logFile}:\n${tailOf(logFile)}`,
  );
}

export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
