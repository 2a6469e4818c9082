/**
 * The frame of the dashboard's own pages: head, style sheet and the header's
 * navigation. Pure; the caller escapes what it puts in `main`.
 */

import { assetPath } from './assets.ts';

const NAV = [
  ['/', 'Status'],
  ['/papers', 'Papers'],
  ['/repos', 'Repositories'],
  ['/backfills', 'Backfills'],
  ['/feeds', 'Feeds'],
  ['/queues', 'Queues (Bull Board)'],
  ['/metrics', 'Metrics'],
] as const;

export function renderDashboardPage(page: {
  title: string;
  /** The page's own path: its link in the navigation is marked current. */
  path: string;
  main: string;
  styles?: string;
  /** Scripts served by the dashboard itself (src/dashboard/assets.ts), by name: no inline script is needed. */
  scripts?: readonly string[];
}): string {
  const nav = NAV.map(
    ([href, label]) => `<a href="${href}"${href === page.path ? ' aria-current="page"' : ''}>${label}</a>`,
  ).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · paperboy</title>
<style>${STYLES}${page.styles ?? ''}</style>
</head>
<body>
<header><strong>paperboy</strong><nav>${nav}</nav></header>
<main>
${page.main}
</main>
${(page.scripts ?? []).map((name) => `<script src="${assetPath(name)}" defer></script>\n`).join('')}</body>
</html>`;
}

const STYLES = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f5f6f8}
header{display:flex;flex-wrap:wrap;gap:.4rem 2rem;align-items:center;padding:.8rem 2rem;background:#1d2330;color:#fff}
header nav{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}
header a{color:#c9d1e3;text-decoration:none}header a[aria-current]{color:#fff;font-weight:600}
main{max-width:60rem;margin:0 auto;padding:1.5rem 2rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:2rem 0 .8rem}
form.new{display:flex;flex-wrap:wrap;gap:.8rem 1rem;align-items:flex-end;padding:1rem 1.2rem;background:#fff;border:1px solid #dde1e8;border-radius:8px}
label{display:flex;flex-direction:column;font-size:.85rem;color:#4a5366;gap:.25rem}
label.check{flex-direction:row;align-items:center;gap:.4rem;padding-bottom:.5rem}
input,select{font:inherit;padding:.4rem .55rem;border:1px solid #c3c9d4;border-radius:5px;min-width:9rem;background:#fff}
input[type=checkbox]{min-width:0;width:1rem;height:1rem;margin:0}
button{font:inherit;padding:.45rem 1rem;border:0;border-radius:5px;background:#3554d1;color:#fff;cursor:pointer}
button.cancel{background:#fff;color:#b42318;border:1px solid #e4a5a0;padding:.25rem .8rem}
.hint,.muted{color:#6b7385;font-size:.85rem;margin:0;width:100%}
.notice{background:#e8f4ec;border:1px solid #b5dcc2;padding:.6rem .9rem;border-radius:6px}
.error{background:#fdecea;border:1px solid #f1b8b2;padding:.6rem .9rem;border-radius:6px;color:#8a1c12}
ol.backfills{list-style:none;padding:0;margin:0;display:flex;flex-direction:column;gap:.8rem}
li.backfill{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.9rem 1.1rem}
.row{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap}
.title{font-weight:600}
.state{font-size:.8rem;padding:.1rem .55rem;border-radius:99px;background:#eef0f4;color:#4a5366}
.state.completed{background:#e3f4e8;color:#1e6b37}.state.failed{background:#fdecea;color:#8a1c12}
.state.active,.state.waiting-children{background:#e6ecfd;color:#2a43a8}
.progress{height:.6rem;background:#eef0f4;border-radius:99px;overflow:hidden;margin:.6rem 0}
.progress>div{height:100%;background:#3554d1;transition:width .4s}
.done{font-size:.85rem;color:#4a5366}
.chips{display:flex;gap:.35rem;flex-wrap:wrap}
.chip{font-size:.78rem;padding:.05rem .5rem;border-radius:4px;background:#eef0f4}
.chip.loaded{background:#e3f4e8}.chip.failed{background:#fdecea}.chip.empty,.chip.skipped{background:#f3f0e6}
details{margin-top:.5rem;font-size:.85rem}ul.failures{margin:.3rem 0;padding-left:1.2rem}
.meta{margin-top:.5rem;font-size:.8rem;color:#6b7385}.meta form{margin:0}
code{font-family:ui-monospace,monospace;font-size:.85em}
`;
