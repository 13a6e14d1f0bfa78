import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, seg } from "../api/client.ts";
import type { Analysis, Deployment, Project } from "../api/types.ts";
import { draftTargets, type EnvDraft, EnvDraftsEditor } from "../components/env-drafts.tsx";
import { ErrorMessage } from "../components/error-message.tsx";
import { TextField } from "../components/field.tsx";
import { BusyButton, useTitle } from "../components/ui.tsx";
import { useAction } from "../lib/hooks.ts";

type BuildField = "installCommand" | "buildCommand" | "outputDir" | "nodeVersion";
const BUILD_FIELDS: { field: BuildField; label: string; placeholder: string }[] = [
  { field: "installCommand", label: "Install command", placeholder: "npm install" },
  { field: "buildCommand", label: "Build command", placeholder: "npm run build" },
  { field: "outputDir", label: "Output folder", placeholder: "dist" },
  { field: "nodeVersion", label: "Node version", placeholder: "22" },
];

/** A project name from a repository URL: its last segment, in the characters names allow. */
function nameFromUrl(url: string): string {
  const last =
    url
      .replace(/\.git\/?$/, "")
      .split(/[/:]/)
      .filter(Boolean)
      .at(-1) ?? "";
  return last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
}

/** Import a git repository: analyze, review the settings, add variables, create, build, watch the log. */
export function NewProjectPage() {
  useTitle("New project");
  const { route } = useLocation();
  const [gitUrl, setGitUrl] = useState("");
  const [branch, setBranch] = useState("main");
  const [rootDir, setRootDir] = useState("");
  const [name, setName] = useState("");
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const [settings, setSettings] = useState<Record<BuildField, string>>({
    installCommand: "",
    buildCommand: "",
    outputDir: "",
    nodeVersion: "",
  });
  const [drafts, setDrafts] = useState<EnvDraft[]>([]);
  const [step, setStep] = useState("");
  const [created, setCreated] = useState<Project | null>(null);

  const analyze = useAction(async () => {
    const result = await api.post<Analysis>("/analyze", {
      gitUrl: gitUrl.trim(),
      branch: branch.trim() || undefined,
      rootDir: rootDir.trim() || undefined,
    });
    setAnalysis(result);
    setSettings({
      installCommand: result.installCommand ?? "",
      buildCommand: result.buildCommand ?? "",
      outputDir: result.outputDir ?? "",
      nodeVersion: result.nodeVersion ?? "",
    });
    if (name === "") setName(nameFromUrl(gitUrl));
  });

  const create = useAction(async () => {
    let project = created;
    if (!project) {
      setStep("Creating the project…");
      const body: Record<string, string> = { name: name.trim(), gitUrl: gitUrl.trim() };
      if (branch.trim()) body.productionBranch = branch.trim();
      if (rootDir.trim()) body.rootDir = rootDir.trim();
      // Only settings that differ from what detection found are pinned; the rest is detected on each build.
      for (const { field } of BUILD_FIELDS) {
        const value = settings[field].trim();
        if (value !== "" && value !== (analysis?.[field] ?? "")) body[field] = value;
      }
      project = (await api.post<{ project: Project }>("/projects", body)).project;
      setCreated(project);
    }
    const targets = draftTargets(drafts);
    for (const [i, { environment, draft }] of targets.entries()) {
      setStep(`Saving variable ${i + 1} of ${targets.length}…`);
      await api.put(`/projects/${seg(project.name)}/env/${environment}/${seg(draft.key.trim())}`, {
        value: draft.value,
        secret: draft.secret,
      });
    }
    setStep("Starting the first build…");
    const { deployment } = await api.post<{ deployment: Deployment }>(
      `/projects/${seg(project.name)}/builds`,
    );
    route(`/projects/${seg(project.name)}/deployments/${seg(deployment.id)}`);
  });

  return (
    <section class="narrow">
      <h1>Import a git repository</h1>
      <form
        class="card stack"
        aria-labelledby="repo-title"
        onSubmit={(e) => {
          e.preventDefault();
          void analyze.run();
        }}
      >
        <h2 id="repo-title">Repository</h2>
        <TextField
          label="Git URL"
          name="gitUrl"
          type="url"
          required
          placeholder="https://github.com/you/site.git"
          value={gitUrl}
          onValue={setGitUrl}
          hint="https://, http:// or git:// — any URL the builder can clone."
          disabled={created !== null}
        />
        <div class="cols">
          <TextField label="Production branch" name="branch" value={branch} onValue={setBranch} />
          <TextField
            label="Root directory"
            name="rootDir"
            placeholder="(repository root)"
            value={rootDir}
            onValue={setRootDir}
            hint="For monorepos: the app's folder."
          />
        </div>
        <ErrorMessage error={analyze.error} prefix="Could not analyze the repository" />
        <BusyButton type="submit" busy={analyze.busy} busyLabel="Analyzing…" disabled={created !== null}>
          Analyze
        </BusyButton>
      </form>

      {analysis && (
        <section class="card detection" aria-live="polite" aria-labelledby="detected-title">
          <h2 id="detected-title">
            {analysis.framework ? `Detected ${analysis.framework.name}` : "No framework detected"}
          </h2>
          {analysis.packageManager && <p>Package manager: {analysis.packageManager}</p>}
          {analysis.reasons.length > 0 && (
            <ul class="reasons">
              {analysis.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
        </section>
      )}

      <form
        class="card stack"
        aria-labelledby="settings-title"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <h2 id="settings-title">Project</h2>
        <TextField
          label="Project name"
          name="name"
          required
          value={name}
          onValue={setName}
          hint="Lowercase letters, digits and single hyphens; it becomes the site's hostname."
          disabled={created !== null}
        />
        <p class="hint">
          Build settings left as detected stay automatic: Miaobu detects them again on every build.
        </p>
        <div class="cols">
          {BUILD_FIELDS.map(({ field, label, placeholder }) => (
            <TextField
              key={field}
              label={label}
              name={field}
              placeholder={placeholder}
              value={settings[field]}
              onValue={(v) => setSettings({ ...settings, [field]: v })}
            />
          ))}
        </div>
        <h3>Environment variables</h3>
        <EnvDraftsEditor drafts={drafts} onChange={setDrafts} />
        <ErrorMessage error={create.error} />
        {created && create.error && (
          <p class="notice">
            The project was created. Retry to finish, or open{" "}
            <a href={`/projects/${seg(created.name)}`}>it</a>.
          </p>
        )}
        {create.busy && (
          <p role="status" class="muted">
            {step}
          </p>
        )}
        <BusyButton type="submit" class="primary" busy={create.busy} busyLabel="Creating…">
          {created ? "Retry: save variables and deploy" : "Create and deploy"}
        </BusyButton>
      </form>
    </section>
  );
}
