// The builder's client of the API's callback endpoints, authorized by the deployment's token.

/** An answer of the API that is not a success. */
export class CallbackError extends Error {
  readonly status: number;
  readonly body: unknown;
  /** The answer's `Retry-After`, in ms, when it had one in seconds. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, body: unknown, message: string, retryAfterMs?: number) {
    super(message);
    this.status = status;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Longest `Retry-After` the builder waits for; a longer one waits this long and asks again. */
const MAX_RETRY_AFTER_MS = 10_000;

export interface CallbackOptions {
  apiUrl: string;
  token: string;
  fetch?: typeof fetch;
}

interface SendOptions {
  body?: RequestInit["body"];
  json?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Attempts for transient failures (network, 429, 5xx); 1 sends once. */
  attempts?: number;
}

/** A small client that retries what can be retried and keeps the token to itself. */
export class CallbackClient {
  readonly #apiUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(options: CallbackOptions) {
    this.#apiUrl = options.apiUrl;
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Sends a request and returns its JSON answer (or null for an empty one). */
  async send(method: string, path: string, options: SendOptions = {}): Promise<unknown> {
    // Eight attempts span about 20 s (longer with Retry-After): enough for a retention sweep's 503s to pass.
    const attempts = options.attempts ?? 8;
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(method, path, options);
      } catch (error) {
        const transient = !(error instanceof CallbackError) || error.status === 429 || error.status >= 500;
        if (!transient || attempt >= attempts || options.signal?.aborted) throw error;
        const asked = error instanceof CallbackError ? error.retryAfterMs : undefined;
        await sleep(asked === undefined ? delay : Math.min(asked, MAX_RETRY_AFTER_MS), options.signal);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Sends one request and hands back the response unread (for streamed bodies); the caller checks it. */
  open(
    method: string,
    path: string,
    options: { body?: RequestInit["body"]; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (options.contentType) headers["content-type"] = options.contentType;
    return this.#fetch(`${this.#apiUrl}${path}`, {
      method,
      headers,
      body: options.body ?? null,
      signal: options.signal ?? null,
    });
  }

  async #once(method: string, path: string, options: SendOptions): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.contentType) {
      headers["content-type"] = options.contentType;
    }
    const response = await this.#fetch(`${this.#apiUrl}${path}`, {
      method,
      headers,
      body: body ?? null,
      signal: options.signal ?? null,
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const detail =
        typeof parsed === "object" && parsed !== null && "detail" in parsed
          ? String(parsed.detail)
          : text.slice(0, 200);
      const retryAfter = Number(response.headers.get("retry-after"));
      throw new CallbackError(
        response.status,
        parsed,
        `${method} ${path} answered ${response.status}: ${detail}`,
        Number.isFinite(retryAfter) && retryAfter >= 0 && response.headers.has("retry-after")
          ? retryAfter * 1000
          : undefined,
      );
    }
    return parsed;
  }
}

/** Waits, or stops early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
