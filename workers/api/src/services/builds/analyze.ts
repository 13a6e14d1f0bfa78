import { ApiError } from "../../errors.ts";
import type { HttpTarget } from "./builder.ts";

/** Where the repository to analyze is. */
export interface AnalyzeSource {
  url: string;
  branch: string;
  rootDir: string | null;
}

/** What the builder's detection found (docs/builder-protocol.md, `POST /analyze`). */
export interface Analysis {
  framework: { id: string; name: string } | null;
  installCommand: string | null;
  buildCommand: string | null;
  outputDir: string | null;
  nodeVersion: string | null;
  packageManager: string | null;
  reasons: string[];
  commitSha?: string;
}

const ANALYZE_TIMEOUT_MS = 60_000;

function isAnalysis(value: unknown): value is Analysis {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray(Reflect.get(value, "reasons")) &&
    "framework" in value &&
    "buildCommand" in value &&
    "outputDir" in value
  );
}

/**
 * Asks the builder to clone a repository and detect its framework and settings, without building. A clone
 * that fails (no such repository or branch) answers 422 with the builder's reason; an unreachable builder 502.
 */
export async function analyzeRepository(
  target: HttpTarget,
  base: string,
  secret: string,
  source: AnalyzeSource,
): Promise<Analysis> {
  let response: Response;
  try {
    response = await target.fetch(
      new Request(`${base}/analyze`, {
        method: "POST",
        headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
        body: JSON.stringify({ source }),
        signal: AbortSignal.timeout(ANALYZE_TIMEOUT_MS),
      }),
    );
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ApiError("bad_gateway", `The builder could not be reached to analyze the repository (${why}).`);
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 422 || response.status === 400) {
    const detail = typeof body === "object" && body !== null ? Reflect.get(body, "detail") : undefined;
    throw new ApiError(
      "invalid_input",
      `The repository could not be analyzed: ${typeof detail === "string" ? detail : "the builder refused it"}.`,
      { errors: [{ field: "gitUrl", message: typeof detail === "string" ? detail : "cannot be cloned" }] },
    );
  }
  if (!response.ok || !isAnalysis(body)) {
    throw new ApiError(
      "bad_gateway",
      `The builder failed to analyze the repository (HTTP ${response.status}).`,
    );
  }
  return body;
}
