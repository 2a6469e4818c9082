import express from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The web fonts Bull Board's page asks a font CDN for (its index.ejs links
 * IBM Plex Sans 400/500/600 and IBM Plex Mono 400/500), served instead from
 * their npm packages (Fontsource, SIL Open Font License) under
 * /queues/fonts/: the page looks as designed and no request leaves the
 * machine. Each weight's stylesheet declares its faces per script with a
 * unicode-range, so a browser downloads only the files of the characters it
 * shows (Latin, for paperboy's pages).
 */
export const BULL_BOARD_FONTS = [
  { family: 'IBM Plex Sans', name: 'ibm-plex-sans', weights: [400, 500, 600] },
  { family: 'IBM Plex Mono', name: 'ibm-plex-mono', weights: [400, 500] },
] as const;

/** Under Bull Board's base path; the page's <base href> makes these relative links resolve there. */
const FONTS_DIR = 'fonts';

/** The stylesheets Bull Board's page links instead of the CDN's, relative to its <base href>. */
export function bullBoardFontStylesheets(): string[] {
  return BULL_BOARD_FONTS.flatMap((font) => font.weights.map((weight) => `${FONTS_DIR}/${font.name}/${weight}.css`));
}

/** Serves each font package's stylesheets and files, mounted at Bull Board's base path. */
export function bullBoardFontsRouter(): express.Router {
  const require = createRequire(import.meta.url);
  const router = express.Router();
  for (const font of BULL_BOARD_FONTS) {
    const packageDir = path.dirname(require.resolve(`@fontsource/${font.name}/package.json`));
    router.use(
      `/${FONTS_DIR}/${font.name}`,
      express.static(packageDir, { index: false, fallthrough: false, maxAge: '7d' }),
    );
  }
  return router;
}
