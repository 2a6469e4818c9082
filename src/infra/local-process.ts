import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SetupError } from '../errors.ts';

/**
 * Helpers for the embedded defaults: a local Postgres or redis-server started
 * as a child process, owned by this process and stopped when it exits.
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

/** True when a process with this pid exists (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SpawnedService {
  child: ChildProcess;
  /** Stops the process with `signal` and waits for it to exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Spawns a long-running service with its output appended to `logFile`. If
 * this process exits without calling `stop` (an uncaught error), the child is
 * signalled from the synchronous 'exit' hook so it is not left behind.
 */
export function spawnService(
  command: string,
  args: string[],
  options: { logFile: string; uid?: number; gid?: number; stopSignal: NodeJS.Signals },
): SpawnedService {
  const logFd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', logFd, logFd],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
  });
  closeSync(logFd);
  const onParentExit = () => child.kill(options.stopSignal);
  process.on('exit', onParentExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => process.off('exit', onParentExit));
  return {
    child,
    async stop(signal = options.stopSignal, graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs, true, { ref: false })]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
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
