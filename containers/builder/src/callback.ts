// The builder's client of the API's callback endpoints, authorized by the deployment's token.

/** An answer of the API that is not a success. */
export class CallbackError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown, message: string) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

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
    const attempts = options.attempts ?? 5;
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(method, path, options);
      } catch (error) {
        const transient = !(error instanceof CallbackError) || error.status === 429 || error.status >= 500;
        if (!transient || attempt >= attempts || options.signal?.aborted) throw error;
        await sleep(delay, options.signal);
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
      throw new CallbackError(
        response.status,
        parsed,
        `${method} ${path} answered ${response.status}: ${detail}`,
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
