#!/usr/bin/env node
// The container's health: for the dashboard role (or `start`), GET /healthz (Redis and Postgres
// reachable); for the other roles, the process running is its health (Docker restarts it when it
// exits). The role is read from PID 1's command line, so one image serves every role.
import { readFileSync } from 'node:fs';

const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
if (!args.includes('dashboard') && !args.includes('start')) process.exit(0);
const port = process.env.DASHBOARD_PORT || '3000';
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
