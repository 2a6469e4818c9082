import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BULL_BOARD_FONTS } from '../../src/dashboard/bull-board-fonts.ts';
import { withoutOutsideLinks, withStylesheets } from '../../src/dashboard/outside-links.ts';

/** Bull Board's page template as installed: the real thing the dashboard serves. */
function bullBoardTemplate(): string {
  const ui = path.dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json'));
  return readFileSync(path.join(ui, 'dist', 'index.ejs'), 'utf8');
}

describe("Bull Board's page without links to other origins", () => {
  it('drops the font stylesheet of the installed Bull Board and keeps its own files', () => {
    const template = bullBoardTemplate();
    expect(template).toMatch(/<link[^>]+href="https:\/\//);
    const cleaned = withoutOutsideLinks(template);
    expect(cleaned).not.toMatch(/https?:\/\//);
    expect(cleaned.match(/<link\b[^>]*>/g)?.length).toBe((template.match(/<link\b[^>]*>/g)?.length ?? 0) - 1);
    expect(cleaned).toContain('<link href="static/css/');
    expect(cleaned).toContain('<script id="__UI_CONFIG__" type="application/json">');
  });

  it('drops protocol-relative and preconnect links, whatever the quoting, and leaves relative ones', () => {
    const html = [
      '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
      "<link rel='stylesheet' href='//cdn.example/x.css'>",
      '<link rel=icon href=http://cdn.example/x.png>',
      '<link rel="stylesheet" href="static/css/main.css">',
      '<link rel="icon" href="/queues/static/favicon.ico">',
    ].join('\n');
    expect(withoutOutsideLinks(html)).toBe(
      '<link rel="stylesheet" href="static/css/main.css">\n<link rel="icon" href="/queues/static/favicon.ico">',
    );
  });

  it('asks the CDN for exactly the fonts served locally instead (a Bull Board upgrade that changes them fails here)', () => {
    const href = /<link href="(https:\/\/fonts\.googleapis\.com\/[^"]+)"/.exec(bullBoardTemplate())?.[1];
    expect(href).toBeDefined();
    const families = new URL(href!).searchParams.getAll('family');
    expect(families).toEqual(BULL_BOARD_FONTS.map((font) => `${font.family}:wght@${font.weights.join(';')}`));
  });

  it("adds this origin's stylesheets at the end of the head", () => {
    expect(withStylesheets('<html><head><title>x</title></head><body></body></html>', ['fonts/a/400.css'])).toBe(
      '<html><head><title>x</title><link href="fonts/a/400.css" rel="stylesheet">\n</head><body></body></html>',
    );
  });
});
