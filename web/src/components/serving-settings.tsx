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

function Select<T extends string>(props: {
  name: string;
  label: string;
  value: T;
  choices: Choice<T>[];
  onValue: (value: T) => void;
}) {
  const hintId = `${props.name}-hint`;
  const chosen = props.choices.find((c) => c.value === props.value);
  return (
    <label>
      {props.label}
      <select
        name={props.name}
        value={props.value}
        aria-describedby={hintId}
        onChange={(e) => props.onValue(e.currentTarget.value as T)}
      >
        {props.choices.map((c) => (
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

export interface ServingValues {
  htmlHandling: HtmlHandling;
  notFoundHandling: NotFoundHandling;
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
      <Select
        name="htmlHandling"
        label="HTML handling"
        value={form.htmlHandling}
        choices={HTML_HANDLING}
        onValue={(htmlHandling) => set({ htmlHandling })}
      />
      <Select
        name="notFoundHandling"
        label="Not-found handling"
        value={form.notFoundHandling}
        choices={NOT_FOUND_HANDLING}
        onValue={(notFoundHandling) => set({ notFoundHandling })}
      />
      <p class="hint">
        {pages
          ? "Served as Cloudflare Pages serves the same folder (redirects are 308)."
          : "Served as a Cloudflare Worker with static assets and these settings serves the same folder (redirects are 307)."}
      </p>
    </>
  );
}
