import { spawn } from 'node:child_process';
import { SetupError } from '../errors.ts';

/**
 * Runs `psql` on the terminal against `databaseUrl`, with `args` after it,
 * and resolves with its exit code. The password goes in PGPASSWORD, not on
 * the command line, where `ps` would show it to every user of the machine.
 * While psql runs, Ctrl-C is psql's (it cancels the running query): this
 * process ignores it.
 *
 * @throws SetupError when there is no psql on PATH.
 */
export async function runPsql(databaseUrl: string, args: readonly string[]): Promise<number> {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  const env = password ? { ...process.env, PGPASSWORD: password } : process.env;
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('psql', ['--dbname', url.toString(), ...args], { stdio: 'inherit', env });
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new SetupError(
                'no psql on PATH: install it (Debian, Ubuntu: apt-get install postgresql-client; macOS: brew install libpq), ' +
                  'or point another client at the URL `paperboy db url` prints',
              )
            : error,
        ),
      );
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  }
}
