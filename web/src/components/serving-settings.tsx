import type { HtmlHandling, NotFoundHandling } from "../api/types.ts";

interface Choice<T> {
  value: T;
  label: string;
  /** What the choice does, shown under the select while it is chosen. */
  explain: string;
}

const HTML_HANDLING: Choice<HtmlHandling>[] = [
  {
    value: "auto-trailing-slash",
    label: "auto-trailing-slash (default)",
    explain: "/file.html is served at /file, /folder/index.html at /folder/; other URLs redirect there.",
  },
  {
    value: "force-trailing-slash",
    label: "force-trailing-slash",
    explain: "Every page at a URL ending in /: /file.html is served at /file/, and /file redirects there.",
  },
  {
    value: "drop-trailing-slash",
    label: "drop-trailing-slash",
    explain: "No page URL ends in / (but the home page): /folder/index.html is served at /folder.",
  },
  {
    value: "none",
    label: "none",
    explain: "Files only at their exact paths (/file.html, /folder/index.html); nothing redirects.",
  },
];

const NOT_FOUND_HANDLING: Choice<NotFoundHandling>[] = [
  {
    value: "auto",
    label: "auto (default, as Cloudflare Pages)",
    explain:
      "The nearest 404.html up the path, with status 404; with none, /index.html as a single-page app.",
  },
  {
    value: "single-page-application",
    label: "single-page-application",
    explain: "/index.html with status 200, for an app that routes in the browser.",
  },
  {
    value: "404-page",
    label: "404-page",
    explain: "The nearest 404.html up the path, with status 404.",
  },
  { value: "none", label: "none", explain: "A plain 404." },
];

export interface ServingValues {
  htmlHandling: HtmlHandling;
  notFoundHandling: NotFoundHandling;
}

interface FieldProps<K extends keyof ServingValues> {
  name: K;
  label: string;
  choices: Choice<ServingValues[K]>[];
  form: ServingValues;
  set: (patch: Partial<ServingValues>) => void;
}

function Select<K extends keyof ServingValues>({ name, label, choices, form, set }: FieldProps<K>) {
  const hintId = `${name}-hint`;
  const chosen = choices.find((c) => c.value === form[name]);
  return (
    <label>
      {label}
      <select
        name={name}
        value={form[name]}
        aria-describedby={hintId}
        onChange={(e) => set({ [name]: e.currentTarget.value } as Partial<ServingValues>)}
      >
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      <small id={hintId} class="hint">
        {chosen?.explain}
      </small>
    </label>
  );
}

/** The project's serving settings by Cloudflare Workers' names (`assets.html_handling`, `not_found_handling`). */
export function ServingFields({
  form,
  set,
}: {
  form: ServingValues;
  set: (patch: Partial<ServingValues>) => void;
}) {
  const pages = form.htmlHandling === "auto-trailing-slash" && form.notFoundHandling === "auto";
  return (
    <>
      <Select name="htmlHandling" label="HTML handling" choices={HTML_HANDLING} form={form} set={set} />
      <Select
        name="notFoundHandling"
        label="Not-found handling"
        choices={NOT_FOUND_HANDLING}
        form={form}
        set={set}
      />
      <p class="hint">
        {pages
          ? "Served as Cloudflare Pages serves the same folder (redirects are 308)."
          : "Served as a Cloudflare Worker with static assets and these settings serves the same folder (redirects are 307)."}
      </p>
    </>
  );
}
