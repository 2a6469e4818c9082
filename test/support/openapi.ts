import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document the tests read. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, { get: OpenApiOperation }>;
  components: { schemas: Record<string, unknown> };
}

interface OpenApiOperation {
  parameters?: Array<{ in: string; name: string; example: string; description: string; schema: unknown }>;
  responses: Record<string, { content?: { 'application/json': { schema: unknown } } }>;
}

/**
 * Reads an OpenAPI document as a client would: its query parameters per
 * path, and a JSON Schema (2020-12, OpenAPI 3.1's dialect) check of a
 * response body against the schema documented for its path and status.
 */
export function openApiChecker(document: OpenApiDocument) {
  const ajv = new Ajv2020({ allErrors: true });
  addFormats.default(ajv);
  // OpenAPI's own keywords in a schema: annotations, nothing to check.
  ajv.addVocabulary(['example', 'components']);
  const compiled = new Map<string, ValidateFunction>();
  return {
    queryParameters(): Array<[string, NonNullable<OpenApiOperation['parameters']>]> {
      return Object.entries(document.paths).map(([path, item]) => [
        path,
        (item.get.parameters ?? []).filter((parameter) => parameter.in === 'query'),
      ]);
    },
    /** What is wrong with `body` as the response of `path` with `status`; empty when it matches. */
    responseProblems(path: string, status: number, body: unknown): string[] {
      const response = document.paths[path]?.get.responses[String(status)];
      if (!response) return [`${path}: status ${status} is not documented`];
      const key = `${path} ${status}`;
      let validate = compiled.get(key);
      if (!validate) {
        const schema = response.content?.['application/json'].schema;
        // Refs are #/components/schemas/…: the components travel with the schema.
        validate = ajv.compile({ ...(schema as object), components: document.components });
        compiled.set(key, validate);
      }
      return validate(body)
        ? []
        : (validate.errors ?? []).map((error: ErrorObject) => `${error.instancePath} ${error.message}`);
    },
  };
}

/** A parameter's schema as a check of a value: the text forms of the query parameters. */
export function parameterSchemaCheck(schema: unknown): (value: string) => boolean {
  const ajv = new Ajv2020();
  return ajv.compile(schema as object) as (value: string) => boolean;
}
