// Environment variables typed before a project exists, saved right after it is created.
import type { Environment } from "../api/types.ts";

export interface EnvDraft {
  id: number;
  key: string;
  value: string;
  secret: boolean;
  target: Environment | "both";
}

let nextId = 1;

/** A new empty row. */
export function newDraft(): EnvDraft {
  return { id: nextId++, key: "", value: "", secret: false, target: "both" };
}

/** The (environment, draft) pairs to save, skipping rows left empty. */
export function draftTargets(drafts: EnvDraft[]): { environment: Environment; draft: EnvDraft }[] {
  const out: { environment: Environment; draft: EnvDraft }[] = [];
  for (const draft of drafts) {
    if (draft.key.trim() === "") continue;
    const envs: Environment[] = draft.target === "both" ? ["production", "preview"] : [draft.target];
    for (const environment of envs) out.push({ environment, draft });
  }
  return out;
}

/** Rows of key, value, secret and environment, with add and remove. */
export function EnvDraftsEditor({
  drafts,
  onChange,
}: {
  drafts: EnvDraft[];
  onChange: (d: EnvDraft[]) => void;
}) {
  const update = (id: number, patch: Partial<EnvDraft>) =>
    onChange(drafts.map((d) => (d.id === id ? { ...d, ...patch } : d)));
  return (
    <div class="stack">
      {drafts.map((d, i) => (
        <fieldset key={d.id} class="env-row">
          <legend class="sr-only">Variable {i + 1}</legend>
          <label>
            Name
            <input
              value={d.key}
              placeholder="API_URL"
              autocapitalize="characters"
              spellcheck={false}
              onInput={(e) => update(d.id, { key: e.currentTarget.value })}
            />
          </label>
          <label>
            Value
            <input
              type={d.secret ? "password" : "text"}
              value={d.value}
              autocomplete="off"
              spellcheck={false}
              onInput={(e) => update(d.id, { value: e.currentTarget.value })}
            />
          </label>
          <label>
            Environment
            <select
              value={d.target}
              onChange={(e) => update(d.id, { target: e.currentTarget.value as EnvDraft["target"] })}
            >
              <option value="both">Production and preview</option>
              <option value="production">Production</option>
              <option value="preview">Preview</option>
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={d.secret}
              onChange={(e) => update(d.id, { secret: e.currentTarget.checked })}
            />
            Secret
          </label>
          <button
            type="button"
            class="small"
            aria-label={`Remove variable ${d.key || i + 1}`}
            onClick={() => onChange(drafts.filter((x) => x.id !== d.id))}
          >
            Remove
          </button>
        </fieldset>
      ))}
      <div>
        <button type="button" class="small" onClick={() => onChange([...drafts, newDraft()])}>
          Add a variable
        </button>
      </div>
    </div>
  );
}
