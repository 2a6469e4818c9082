import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SetupError } from '../errors.ts';

/**
 * Helpers for the embedded defaults: a local Postgres or redis-server started
 * as a child process, owned by this process and stopped when it is done.
 *
 * The rule: whoever starts a server stops it, but never under another
 * paperboy still using it. Every process using a server registers (a file
 * per pid beside the owner file); the owner, letting go, stops the server
 * only when no other live process is registered, else hands ownership to
 * one that is, which stops it when it lets go in turn (`paperboy db psql`
 * started the server, `paperboy start` came next: quitting psql leaves the
 * service its database). A paperboy killed with -9 cannot let go, so its
 * servers keep running; the next paperboy on the same data dir reuses them
 * and, their owner being gone, takes them over.
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
  /** This process is done with the server: it is stopped unless another live process uses it (see the rule above). */
  release(): Promise<Release>;
  /** Stops the process with `signal` and waits for it to exit (SIGKILL after `graceMs`), whoever else uses it. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** What letting go of a server came to: stopped, left to its live owner, or handed to another live user (its pid). */
export type Release = { stopped: true } | { stopped: false; owner: number };

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
  registerUser(options.ownerFile);
  const onParentExit = () => {
    if (handOverOnExit(options.ownerFile)) return;
    child.kill(options.stopSignal);
  };
  process.on('exit', onParentExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => process.off('exit', onParentExit));
  return {
    child,
    release: () => releaseServer(options.ownerFile, () => stopChild(options.stopSignal)),
    stop: (signal = options.stopSignal, graceMs = 15_000) => stopChild(signal, graceMs),
  };

  async function stopChild(signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs, true, { ref: false })]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    forgetServer(options.ownerFile);
  }
}

/** Records this process (or `pid`) as the owner of a server: the one that stops it. */
function claimOwnership(ownerFile: string, pid = process.pid): void {
  writeFileSync(ownerFile, `${pid}\n`);
}

function readOwner(ownerFile: string): number | undefined {
  try {
    const owner = Number(readFileSync(ownerFile, 'utf8').trim());
    return Number.isInteger(owner) && owner > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The processes using a server: an empty file per pid, in a folder beside its owner file. */
const usersDir = (ownerFile: string) => `${ownerFile}.users`;

function registerUser(ownerFile: string): void {
  mkdirSync(usersDir(ownerFile), { recursive: true });
  writeFileSync(path.join(usersDir(ownerFile), String(process.pid)), '');
}

/** The other live processes using the server; the files of dead ones (killed with -9) are cleared on the way. */
function otherLiveUsers(ownerFile: string): number[] {
  let names: string[];
  try {
    names = readdirSync(usersDir(ownerFile));
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) live.push(pid);
    else rmSync(path.join(usersDir(ownerFile), name), { force: true });
  }
  return live;
}

/**
 * Lets go of a server this process used. The owner (this process; or,
 * when the owner is gone, whoever lets go) stops it with `stop` unless
 * another live process uses it: then that one becomes the owner. A server
 * whose owner still runs is left to it.
 */
async function releaseServer(ownerFile: string, stop: () => Promise<void>): Promise<Release> {
  rmSync(path.join(usersDir(ownerFile), String(process.pid)), { force: true });
  const owner = readOwner(ownerFile);
  if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) return { stopped: false, owner };
  const [heir] = otherLiveUsers(ownerFile);
  if (heir !== undefined) {
    claimOwnership(ownerFile, heir);
    return { stopped: false, owner: heir };
  }
  await stop();
  return { stopped: true };
}

/** On an exit without letting go (an uncaught error): true when the server was handed to another live user. */
function handOverOnExit(ownerFile: string): boolean {
  rmSync(path.join(usersDir(ownerFile), String(process.pid)), { force: true });
  const [heir] = otherLiveUsers(ownerFile);
  if (heir === undefined) return false;
  claimOwnership(ownerFile, heir);
  return true;
}

/** The server is gone: no owner, no users. */
function forgetServer(ownerFile: string): void {
  rmSync(ownerFile, { force: true });
  rmSync(usersDir(ownerFile), { recursive: true, force: true });
}

/**
 * For a server found running (process `pid`): this process registers as a
 * user of it and, when the process that owned it is gone (or none is
 * recorded), takes it over. `release` lets go of it by the rule above;
 * `stop` stops it whoever uses it (a server to restart elsewhere).
 */
export async function adoptIfOrphaned(
  ownerFile: string,
  pid: number,
  stopSignal: NodeJS.Signals,
): Promise<{ adoptedFrom?: number | 'unknown'; release(): Promise<Release>; stop(): Promise<void> }> {
  const owner = readOwner(ownerFile);
  if (owner === process.pid) {
    // Started (or taken over) by this very process: that handle lets go of it; this one has nothing to release.
    return { release: async () => ({ stopped: false, owner }), stop: () => stopByPid(ownerFile, pid, stopSignal) };
  }
  registerUser(ownerFile);
  const stop = async () => {
    process.off('exit', onParentExit);
    await stopByPid(ownerFile, pid, stopSignal);
  };
  // Like a spawned server: when this process exits without letting go while it owns the server, it is stopped
  // (or handed to another live user).
  const onParentExit = () => {
    if (readOwner(ownerFile) !== process.pid || handOverOnExit(ownerFile)) return;
    signalPid(pid, stopSignal);
  };
  process.on('exit', onParentExit);
  const release = async () => {
    const released = await releaseServer(ownerFile, stop);
    process.off('exit', onParentExit);
    return released;
  };
  if (owner !== undefined && isProcessAlive(owner)) return { release, stop };
  claimOwnership(ownerFile);
  return { adoptedFrom: owner ?? 'unknown', release, stop };
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Stops a server that is not a child of this process: there is no exit event to wait for, only the pid to watch. */
async function stopByPid(ownerFile: string, pid: number, stopSignal: NodeJS.Signals): Promise<void> {
  signalPid(pid, stopSignal);
  if (!(await exitsWithin(pid, 15_000))) {
    signalPid(pid, 'SIGKILL');
    await exitsWithin(pid, 15_000);
  }
  forgetServer(ownerFile);
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
