import { z } from 'zod';
// zod-openapi (v5 and later) renders every schema with zod 4's own z.toJSONSchema, so the
// document says what zod checks, with no second converter to disagree with it; it takes
// .meta() for components, parameters and examples, and writes OpenAPI 3.1.
// @asteasolutions/zod-to-openapi (v8) takes zod 4 too, but describes schemas through a registry of its own.
// Version 5: version 6 requires Node 22.14, and paperboy supports Node 20.18 too.
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { encodeBackfillCursor, encodePaperCursor, encodeRepoCursor } from '../domain/cursors.ts';
import { PAPER_QUERY, pagingParameters, REPO_FILTERS, type QueryParameter } from '../domain/paper-query.ts';
import { PAPERBOY_VERSION } from '../config.ts';
import {
  backfillDetailSchema,
  backfillPageSchema,
  errorSchema,
  paperDetailSchema,
  paperPageSchema,
  repoPageSchema,
} from './api-schemas.ts';

/**
 * The JSON API as an OpenAPI 3.1 document, served at /api/openapi.json. The
 * query parameters are the definitions the API reads its queries with
 * (domain/paper-query.ts), looped over: a filter added there is documented
 * here with no other change. Each parameter's schema is the text it accepts
 * (every value arrives as text), from its zod schema's input side.
 */

/** The query parameters as an object schema whose properties zod-openapi turns into parameters. */
function queryOf(definitions: readonly QueryParameter[], examples: Record<string, string> = {}) {
  const shape: Record<string, z.ZodType> = {};
  for (const definition of definitions) {
    shape[definition.name] = definition.schema.optional().meta({
      param: { description: definition.description, example: examples[definition.name] ?? definition.example },
    });
  }
  return z.object(shape);
}

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const REFUSED = json(errorSchema, 'a parameter the API does not take, or a value it refuses: the error names it');

function operation(
  summary: string,
  ok: ReturnType<typeof json>,
  requestParams: ZodOpenApiOperationObject['requestParams'],
  extra: ZodOpenApiResponsesObject = {},
): ZodOpenApiOperationObject {
  return { summary, requestParams, responses: { '200': ok, '400': REFUSED, ...extra } };
}

const paperId = z
  .string()
  .min(1)
  .meta({
    param: { description: 'arXiv id (any version, DOI or arxiv.org URL, percent-encoded)', example: '2407.21783' },
  });
const backfillId = z
  .string()
  .min(1)
  .meta({ param: { description: 'the backfill job id', example: '1' } });
const NO_QUERY = queryOf([]);

/** Builds the document; the server builds it once (it depends on nothing but the code). */
export function buildOpenApiDocument() {
  const paging = pagingParameters('api');
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'paperboy',
      version: PAPERBOY_VERSION,
      description:
        "paperboy's read-only JSON API: papers and repositories as ingested. A parameter the API does not take, " +
        'or given twice, is refused (400), never ignored. Behind the dashboard credentials (HTTP Basic) when set.',
    },
    components: { securitySchemes: { dashboard: { type: 'http', scheme: 'basic' } } },
    security: [{ dashboard: [] }],
    paths: {
      '/api/papers': {
        get: operation(
          'Papers matching the filters, most upvoted first (with q: best match first)',
          json(paperPageSchema, 'a page of papers'),
          {
            query: queryOf([...PAPER_QUERY, ...paging], {
              cursor: encodePaperCursor({ sort: 'upvotes', key: [42, '2407.21783'] }),
            }),
          },
        ),
      },
      '/api/papers/{id}': {
        get: operation(
          'One paper: its row, listings, upvote history, repositories and its own page',
          json(paperDetailSchema, 'the paper'),
          { path: z.object({ id: paperId }), query: NO_QUERY },
          { '404': json(errorSchema, 'no such paper') },
        ),
      },
      '/api/repos': {
        get: operation(
          'Repositories, most starred first; with rising=true, by star growth',
          json(repoPageSchema, 'a page of repositories'),
          {
            query: queryOf([...REPO_FILTERS, ...paging], { cursor: encodeRepoCursor({ stars: 1200, id: '123456' }) }),
          },
        ),
      },
      '/api/backfills': {
        get: operation(
          'Backfills, newest first (without their key lists)',
          json(backfillPageSchema, 'a page of backfills'),
          {
            query: queryOf(paging, { cursor: encodeBackfillCursor('42') }),
          },
        ),
      },
      '/api/backfills/{id}': {
        get: operation(
          "One backfill's status and every key's outcome",
          json(backfillDetailSchema, 'the backfill'),
          { path: z.object({ id: backfillId }), query: NO_QUERY },
          { '404': json(errorSchema, 'no such backfill') },
        ),
      },
      '/api/openapi.json': {
        get: operation('This document', json(z.looseObject({ openapi: z.string() }), 'the OpenAPI document'), {
          query: NO_QUERY,
        }),
      },
    },
  });
}
