import { z } from 'zod';

/**
 * Names a schema that several routes answer with: the OpenAPI document (and so the console's generated client) holds
 * it once, under components, and the routes refer to it.
 */
export function component<T extends z.ZodType>(id: string, schema: T): T {
  if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
  return schema;
}
