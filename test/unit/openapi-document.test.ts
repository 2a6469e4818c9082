import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  backfillDetailSchema,
  backfillSchema,
  paperDetailSchema,
  paperRowSchema,
  repoRowSchema,
  risingRepoRowSchema,
} from '../../src/dashboard/api-schemas.ts';
import { buildOpenApiDocument } from '../../src/dashboard/openapi-document.ts';
import type { PaperDetail, PaperRow, RepoRow, RisingRepoRow, SearchRow } from '../../src/db/query.repository.ts';
import { PAPER_QUERY, pagingParameters, REPO_FILTERS, type QueryParameter } from '../../src/domain/paper-query.ts';
import type { ApiBackfill, ApiBackfillDetail } from '../../src/dashboard/backfill-json.ts';
import { parameterSchemaCheck, type OpenApiDocument } from '../support/openapi.ts';

const document = buildOpenApiDocument() as unknown as OpenApiDocument;
const queryOf = (path: string) => (document.paths[path]?.get.parameters ?? []).filter((p) => p.in === 'query');

/** Texts of every kind a parameter takes, and near misses. */
const SAMPLES = ['', '0', '20', '007', '-1', '1.5', '1e3', ' 7', '2024-08-01', '2024-02-30', '2024-8-1', '7d', '24h'];
const MORE_SAMPLES = ['2w', '7x', 'd', 'true', 'false', 'TRUE', 'yes', 'Python', 'a b', 'x'.repeat(201)];

describe('the OpenAPI document', () => {
  it.each([
    ['/api/papers', [...PAPER_QUERY, ...pagingParameters('api')]],
    ['/api/repos', [...REPO_FILTERS, ...pagingParameters('api')]],
    ['/api/backfills', pagingParameters('api')],
  ] as Array<[string, QueryParameter[]]>)(
    '%s documents every definition, with its description and example, and nothing else',
    (path, definitions) => {
      const documented = queryOf(path);
      expect(documented.map((parameter) => parameter.name)).toEqual(definitions.map((definition) => definition.name));
      for (const definition of definitions) {
        const parameter = documented.find((candidate) => candidate.name === definition.name)!;
        expect(parameter.description).toBe(definition.description);
        // A cursor's example is the endpoint's own kind of cursor, so it is not the definition's.
        if (definition.name !== 'cursor') expect(parameter.example).toBe(definition.example);
      }
    },
  );

  it.each(['/api/papers/{id}', '/api/backfills/{id}', '/api/openapi.json'])(
    '%s documents no query parameter',
    (path) => {
      expect(queryOf(path)).toEqual([]);
    },
  );

  it("documents each parameter's text as the definitions read it: every text they take fits, and the example is taken", () => {
    const definitions = [...PAPER_QUERY, ...REPO_FILTERS, ...pagingParameters('api')];
    for (const path of ['/api/papers', '/api/repos', '/api/backfills']) {
      for (const parameter of queryOf(path)) {
        const definition = definitions.find((candidate) => candidate.name === parameter.name)!;
        const fits = parameterSchemaCheck(parameter.schema);
        expect(fits(parameter.example), `${path} ${parameter.name}=${parameter.example}`).toBe(true);
        expect(definition.schema.safeParse(parameter.example).success, parameter.name).toBe(true);
        for (const text of [...SAMPLES, ...MORE_SAMPLES]) {
          if (definition.schema.safeParse(text).success) expect(fits(text), `${parameter.name}=${text}`).toBe(true);
        }
      }
    }
  });

  it('documents the text forms: digits, dates, durations, true/false', () => {
    const schemaOf = (path: string, name: string) => queryOf(path).find((parameter) => parameter.name === name)?.schema;
    expect(schemaOf('/api/papers', 'min_upvotes')).toEqual({ type: 'string', pattern: '^[0-9]+$' });
    expect(schemaOf('/api/papers', 'day')).toEqual({ type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
    expect(schemaOf('/api/papers', 'has_code')).toEqual({ type: 'string', enum: ['true', 'false'] });
    expect(schemaOf('/api/repos', 'window')).toEqual({ type: 'string', pattern: '^[0-9]+[dw]$' });
  });
});

/** A value as JSON.parse gives it back: a Date is its ISO text, an undefined field is absent. */
type Json<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Array<Json<U>>
    : T extends object
      ? Flat<
          { [K in keyof T as undefined extends T[K] ? never : K]: Json<T[K]> } & {
            [K in keyof T as undefined extends T[K] ? K : never]?: Json<Exclude<T[K], undefined>>;
          }
        >
      : T;
type Flat<T> = { [K in keyof T]: T[K] };

describe('the response schemas', () => {
  it('type the rows as the queries do, once sent as JSON', () => {
    expectTypeOf<z.output<typeof repoRowSchema>>().toEqualTypeOf<Json<RepoRow>>();
    expectTypeOf<z.output<typeof risingRepoRowSchema>>().toEqualTypeOf<Json<RisingRepoRow>>();
    expectTypeOf<Json<PaperRow>>().toExtend<z.output<typeof paperRowSchema>>();
    expectTypeOf<Json<SearchRow>>().toExtend<z.output<typeof paperRowSchema>>();
    expectTypeOf<z.output<typeof paperDetailSchema>>().toEqualTypeOf<Json<PaperDetail>>();
    expectTypeOf<z.output<typeof backfillSchema>>().toEqualTypeOf<Json<ApiBackfill>>();
    expectTypeOf<z.output<typeof backfillDetailSchema>>().toEqualTypeOf<Json<ApiBackfillDetail>>();
  });
});
