import type { ServerResponse } from 'node:http';
import { BACKFILLS_SCRIPT, BACKFILLS_SCRIPT_NAME } from './backfills-script.ts';
import { CHART_TOOLTIP_SCRIPT, CHART_TOOLTIP_SCRIPT_NAME } from './chart-tooltip-script.ts';

/**
 * The dashboard's own static files, served under /assets/ from the running
 * code (no file to copy next to the build, no CDN): each is a module's string
 * constant, registered here by name. Pages name them through
 * `renderDashboardPage({ scripts })`, so the pages need no inline script and
 * the Content-Security-Policy can allow scripts from this origin only.
 */
export interface DashboardAsset {
  contentType: string;
  body: string;
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';

const ASSETS: Record<string, DashboardAsset> = {
  [BACKFILLS_SCRIPT_NAME]: { contentType: JAVASCRIPT, body: BACKFILLS_SCRIPT },
  [CHART_TOOLTIP_SCRIPT_NAME]: { contentType: JAVASCRIPT, body: CHART_TOOLTIP_SCRIPT },
};

export const ASSETS_PATH = '/assets/';

/** The path a page links an asset by. */
export function assetPath(name: string): string {
  return `${ASSETS_PATH}${name}`;
}

/** Serves an asset for a GET under /assets/; false when the path is not one. */
export function handleAssetRequest(path: string, response: ServerResponse): boolean {
  if (!path.startsWith(ASSETS_PATH)) return false;
  const asset = Object.hasOwn(ASSETS, path.slice(ASSETS_PATH.length))
    ? ASSETS[path.slice(ASSETS_PATH.length)]
    : undefined;
  if (!asset) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('no such asset\n');
    return true;
  }
  response.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'no-cache' }).end(asset.body);
  return true;
}
