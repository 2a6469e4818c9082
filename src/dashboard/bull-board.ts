import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express from 'express';
import type { RequestListener } from 'node:http';
import { backfillJsonSchema } from '../domain/backfill-plan.ts';
import { JOBS, queueNamed, type PaperboyQueues } from '../queue/contracts.ts';
import { upstreamQueues } from '../upstreams/index.ts';
import { bullBoardFontStylesheets, bullBoardFontsRouter } from './bull-board-fonts.ts';
import { withoutOutsideLinks, withStylesheets } from './outside-links.ts';

export const BULL_BOARD_PATH = '/queues';

/**
 * Bull Board for paperboy's queues, as a request listener for paths under
 * /queues (the dashboard server authenticates and guards writes before it
 * gets here). The backfills queue carries a JSON Schema, so Bull Board's
 * Add-job dialog is pre-filled with a valid backfill and checked in the
 * browser; the worker checks again.
 */
export function createBullBoardListener(
  queues: PaperboyQueues,
  options: { readOnly: boolean; now?: Date },
): RequestListener {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  const common = { readOnlyMode: options.readOnly, allowRetries: !options.readOnly };
  createBullBoard({
    queues: [
      // Each upstream's queues, as its declaration describes them (src/upstreams/).
      ...upstreamQueues().map(
        (declared) =>
          new BullMQAdapter(queueNamed(queues, declared.name), { ...common, description: declared.description }),
      ),
      new BullMQAdapter(queues.backfills, {
        ...common,
        description: `backfills: add a job (name "${JOBS.backfill}" or empty) with data {kind, from, to, force, via}; it fans out one fetch-digest per key`,
        jobDataSchema: backfillJsonSchema(options.now ?? new Date()),
      }),
    ],
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'paperboy',
        hideDocsLink: true,
        // Back to the dashboard's own pages (Bull Board's links open in the same tab).
        miscLinks: [
          { text: 'Status', url: '/' },
          { text: 'Backfills', url: '/backfills' },
          { text: 'Papers', url: '/papers' },
        ],
      },
    },
  });
  const app = express();
  app.disable('x-powered-by');
  const fontStylesheets = bullBoardFontStylesheets();
  app.use(BULL_BOARD_PATH, (_request, response, next) => {
    // Bull Board's page links its fonts from a font CDN: it is sent with this origin's copies instead (outside-links.ts).
    const render = response.render.bind(response);
    response.render = (view: string, options?: object) =>
      render(view, options, (error: Error | null, html: string) =>
        error
          ? next(error)
          : void response.type('html').send(withStylesheets(withoutOutsideLinks(html), fontStylesheets)),
      );
    next();
  });
  app.use(BULL_BOARD_PATH, bullBoardFontsRouter());
  app.use(BULL_BOARD_PATH, serverAdapter.getRouter());
  return app;
}
