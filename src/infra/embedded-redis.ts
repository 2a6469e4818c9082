import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { SetupError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { adoptIfOrphaned, findFreePort, isProcessAlive, spawnService, waitUntilReady } from './local-process.ts';

export interface EmbeddedRedis {
  redisUrl: string;
  /**
   * Stops the server if this process started it, or took it over from a
   * paperboy that died without stopping it; a server whose owner still runs is left alone.
   */
  stop(): Promise<void>;
}

const HOW_TO_GET_REDIS =
  'redis-server was not found on PATH: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL to a Redis you run';

/**
 * Starts (or finds already running) a `redis-server` from PATH on a free
 * loopback port, with its append-only file in `<dataDir>/redis` so queued jobs
 * survive restarts. `noeviction` because BullMQ must never lose keys to memory
 * pressure.
 *
 * @throws SetupError when redis-server is missing or does not start.
 */
export async function startEmbeddedRedis(
  dataDir: string,
  logger: Logger,
  options: {
    port?: number;
    /** In a process group of its own, out of reach of the terminal's Ctrl-C (see startEmbeddedPostgres). */
    ownProcessGroup?: boolean;
  } = {},
): Promise<EmbeddedRedis> {
  const redisDir = path.join(dataDir, 'redis');
  const stateFile = path.join(redisDir, 'paperboy-redis.json');
  // The pid of the paperboy that stops this server (see local-process.ts).
  const ownerFile = path.join(redisDir, 'paperboy-redis.owner');
  const logFile = path.join(dataDir, 'redis.log');
  await mkdir(redisDir, { recursive: true });

  const running = await readRunningState(stateFile);
  if (running && (await pingRedis(running.port))) {
    const found = await adoptIfOrphaned(ownerFile, running.pid, 'SIGTERM');
    logger.info(
      { port: running.port, adoptedFrom: found.adoptedFrom },
      `using the local redis-server already running on 127.0.0.1:${running.port} (set REDIS_URL to use your own)` +
        (found.adoptedFrom ? '; its starter is gone, so this process stops it when it shuts down' : ''),
    );
    const stop = async () => {
      if ((await found.release()).stopped) await rm(stateFile, { force: true });
    };
    return { redisUrl: `redis://127.0.0.1:${running.port}`, stop };
  }

  const binary = await whichRedisServer();
  // A given port lets a restart come back where clients expect it (the fault tests restart it mid-backfill).
  const port = options.port ?? (await findFreePort());
  const service = spawnService(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      redisDir,
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--save',
      '',
    ],
    { logFile, ownerFile, stopSignal: 'SIGTERM', ownProcessGroup: options.ownProcessGroup },
  );
  await waitUntilReady('redis-server', service, logFile, () => pingRedis(port));
  await writeFile(stateFile, JSON.stringify({ pid: service.child.pid, port }));
  logger.info(
    { port, dataDir: redisDir },
    `started redis-server on 127.0.0.1:${port} with data in ${redisDir} (set REDIS_URL to use your own)`,
  );
  return {
    redisUrl: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if ((await service.release()).stopped) await rm(stateFile, { force: true });
    },
  };
}

async function whichRedisServer(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'redis-server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  throw new SetupError(HOW_TO_GET_REDIS);
}

async function readRunningState(stateFile: string): Promise<{ pid: number; port: number } | undefined> {
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { pid: number; port: number };
    return isProcessAlive(state.pid) ? { pid: state.pid, port: state.port } : undefined;
  } catch {
    return undefined;
  }
}

/** A raw PING over TCP: no client library needed to tell whether the server is up. */
function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
