/** Exit codes: 0 ok, 1 an error, 2 the command line itself is wrong. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** An error whose message is already the one readable line the user sees. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;

  constructor(message: string, options: { exitCode?: number; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode ?? EXIT_ERROR;
    this.code = options.code ?? "error";
  }
}

/** A wrong command line: unknown command or option, missing argument. Exits 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_USAGE, code: "usage" });
    this.name = "UsageError";
  }
}

/** One entry of a problem's `errors` list. */
export interface ProblemFieldError {
  field?: string;
  message?: string;
}

/** The `application/problem+json` body every API error carries (docs/api.md). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  requestId?: string;
  errors?: ProblemFieldError[];
  missing?: { hash: string; paths?: string[] }[];
}

/** An error answer of the API, with its problem body. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `the API answered ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  get code(): string {
    return this.problem.code ?? `http_${this.status}`;
  }
}

/** Raised when no TCP connection or HTTP exchange with the API was possible. */
export class ConnectionError extends CliError {
  constructor(api: string, cause: unknown) {
    super(`cannot reach the Miaobu API at ${api}: is \`npm start\` running?`, { code: "unreachable", cause });
    this.name = "ConnectionError";
  }
}

/** What a command knows about a request, to turn a bare 404 into a useful line. */
export interface ErrorHints {
  /** The full line for a 404, e.g. `project "foo" not found (run \`miaobu projects list\`)`. */
  notFound?: string;
}

const MAX_FIELD_ERRORS = 5;

/** Turns an API problem into the one line shown after `error: `. */
export function formatProblem(status: number, problem: Problem, hints: ErrorHints = {}): string {
  const code = problem.code;
  if (code === "token_expired") return "your login has expired: run `miaobu login`";
  if (code === "unauthorized" || (status === 401 && code !== "invalid_credentials")) {
    return "the API refused your token (revoked or unknown): run `miaobu login`";
  }
  if (status === 404 && hints.notFound) return hints.notFound;
  if (code === "internal" || (status >= 500 && !problem.detail)) {
    const id = problem.requestId ? ` (request id ${problem.requestId})` : "";
    return `the Miaobu API failed with status ${status}${id}`;
  }
  let line = stripPeriod(problem.detail ?? problem.title ?? `the API answered ${status}`);
  const fieldErrors = (problem.errors ?? []).map(formatFieldError).filter((text) => text !== "");
  if (fieldErrors.length > 0) {
    const shown = fieldErrors.slice(0, MAX_FIELD_ERRORS);
    const more = fieldErrors.length - shown.length;
    line += `: ${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
  }
  return line;
}

function formatFieldError(entry: ProblemFieldError): string {
  if (entry.field && entry.message) return `${entry.field}: ${entry.message}`;
  return entry.message ?? entry.field ?? "";
}

function stripPeriod(text: string): string {
  return text.endsWith(".") && !text.endsWith("..") ? text.slice(0, -1) : text;
}

/** The line and exit code for anything thrown out of a command. */
export function describeError(
  error: unknown,
  hints: ErrorHints = {},
): { message: string; exitCode: number; code: string } {
  if (error instanceof ApiError) {
    return {
      message: formatProblem(error.status, error.problem, hints),
      exitCode: EXIT_ERROR,
      code: error.code,
    };
  }
  if (error instanceof CliError)
    return { message: error.message, exitCode: error.exitCode, code: error.code };
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `unexpected failure: ${message} (set MIAOBU_DEBUG=1 for details)`,
    exitCode: EXIT_ERROR,
    code: "unexpected",
  };
}
