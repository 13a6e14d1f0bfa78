import type { ApiError } from "../api/client.ts";

/** The API's error in words: its detail, then each field it found wrong. */
export function ErrorMessage({ error, prefix }: { error: ApiError | null; prefix?: string }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <p>
        {prefix ? `${prefix}: ` : ""}
        {error.message}
      </p>
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              <code>{e.field}</code> {e.message}
            </li>
          ))}
        </ul>
      )}
      {error.status >= 500 && error.requestId && <p class="muted">Request id: {error.requestId}</p>}
    </div>
  );
}
