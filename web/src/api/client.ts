// A small fetch wrapper: same-origin requests with the session cookie, problem+json errors as ApiError.

/** One field the API found wrong. */
export interface FieldError {
  field: string;
  message: string;
}

/** An error answered by the API (application/problem+json), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];
  readonly requestId: string | null;

  constructor(status: number, code: string, detail: string, errors: FieldError[], requestId: string | null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.requestId = requestId;
  }
}

let onUnauthorized: () => void = () => {};

/** Called when any request answers 401: the session has ended. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

async function toError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: a proxy or a crash before the API's error handler.
  }
  const problem = isRecord(body) ? body : {};
  const detail =
    typeof problem.detail === "string"
      ? problem.detail
      : typeof problem.title === "string"
        ? problem.title
        : `The API answered ${res.status} ${res.statusText}.`;
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(
        (e): e is FieldError => isRecord(e) && typeof e.field === "string" && typeof e.message === "string",
      )
    : [];
  const code = typeof problem.code === "string" ? problem.code : "error";
  const requestId =
    typeof problem.requestId === "string" ? problem.requestId : res.headers.get("X-Request-Id");
  return new ApiError(res.status, code, detail, errors, requestId);
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Sends a request to `/api/v1{path}`; resolves to the JSON body (undefined for 204). */
export async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  options: { quiet401?: boolean } = {},
): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError(0, "network", `Could not reach the API (${reason}). Check your connection.`, [], null);
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && !options.quiet401) onUnauthorized();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The API's endpoints, by verb. */
export const api = {
  get: <T>(path: string, options?: { quiet401?: boolean }) => request<T>("GET", path, undefined, options),
  // An empty JSON object rather than no body: workerd gives a bodiless POST an empty stream, which the
  // API's JSON check then refuses with 415.
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body?: unknown) => request<T>("PATCH", path, body),
  del: <T = undefined>(path: string) => request<T>("DELETE", path),
};

/** `encodeURIComponent` for one path segment. */
export const seg = encodeURIComponent;
