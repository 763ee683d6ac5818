import createClient from 'openapi-fetch';
import { authMiddleware } from './auth.ts';
import type { paths } from './schema';

/** The typed API client, generated from Siyu's OpenAPI document (schema.d.ts; `npm run openapi`). */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(authMiddleware);

/** Where a problem is, as every Siyu error body lists it. */
export interface ApiErrorDetail {
  path?: string;
  line?: number;
  message: string;
}

/** An error answer of the API: its stable code, its sentence, and each field path with what is wrong there. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiErrorDetail[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The data of a call, or an ApiError carrying the API's message and field paths. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error), []);
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  const body = (result.error ?? {}) as { code?: string; message?: string; errors?: ApiErrorDetail[] };
  throw new ApiError(result.response.status, body.code ?? 'http_error', body.message ?? result.response.statusText, Array.isArray(body.errors) ? body.errors : []);
}
