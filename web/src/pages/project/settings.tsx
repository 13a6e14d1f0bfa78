import { useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, seg } from "../../api/client.ts";
import type { Project } from "../../api/types.ts";
import { ClearBuildCache } from "../../components/build-cache.tsx";
import { ErrorMessage } from "../../components/error-message.tsx";
import { TextField } from "../../components/field.tsx";
import { DeleteProject, PreviewPassword } from "../../components/project-danger.tsx";
import { ProjectFrame, useProject } from "../../components/project-frame.tsx";
import { ServingFields } from "../../components/serving-settings.tsx";
import { BusyButton } from "../../components/ui.tsx";
import { useAction } from "../../lib/hooks.ts";

type TextKey =
  | "gitUrl"
  | "productionBranch"
  | "rootDir"
  | "installCommand"
  | "buildCommand"
  | "outputDir"
  | "nodeVersion";

const TEXT_FIELDS: { key: TextKey; label: string; hint: string }[] = [
  { key: "gitUrl", label: "Git URL", hint: "https://, http:// or git://; empty to build nothing from git." },
  {
    key: "productionBranch",
    label: "Production branch",
    hint: "Its builds go to production; other branches get previews.",
  },
  {
    key: "rootDir",
    label: "Root directory",
    hint: "The app's folder inside the repository; empty for the root.",
  },
  { key: "installCommand", label: "Install command", hint: "Empty: detected from the lockfile." },
  { key: "buildCommand", label: "Build command", hint: "Empty: detected from the framework." },
  { key: "outputDir", label: "Output folder", hint: "Relative to the root directory. Empty: detected." },
  {
    key: "nodeVersion",
    label: "Node version",
    hint: "22, 20.11, lts… Empty: .nvmrc, engines, or the default.",
  },
];

function initial(p: Project) {
  return {
    gitUrl: p.gitUrl ?? "",
    productionBranch: p.productionBranch,
    rootDir: p.rootDir ?? "",
    installCommand: p.installCommand ?? "",
    buildCommand: p.buildCommand ?? "",
    outputDir: p.outputDir ?? "",
    nodeVersion: p.nodeVersion ?? "",
    buildTimeoutSeconds: String(p.buildTimeoutSeconds),
    htmlHandling: p.htmlHandling,
    notFoundHandling: p.notFoundHandling,
    retainProduction: String(p.retainProduction),
    retainPreview: String(p.retainPreview),
    retainDays: String(p.retainDays),
  };
}

/** Whole-number settings: the form keeps their text, the API takes numbers. */
const BUILD_NUMBERS = [
  { key: "buildTimeoutSeconds", label: "Build time limit (seconds)", min: 60, max: 7200 },
] as const;
const RETENTION_NUMBERS = [
  { key: "retainProduction", label: "Newest production deployments kept", min: 1, max: 1000 },
  { key: "retainPreview", label: "Newest preview deployments kept", min: 1, max: 1000 },
  { key: "retainDays", label: "Every deployment kept for (days)", min: 0, max: 365 },
] as const;
const NUMBER_FIELDS = [...BUILD_NUMBERS, ...RETENTION_NUMBERS];

function NumberFields({
  fields,
  form,
  set,
}: {
  fields: readonly (typeof NUMBER_FIELDS)[number][];
  form: ReturnType<typeof initial>;
  set: (patch: Partial<ReturnType<typeof initial>>) => void;
}) {
  return (
    <>
      {fields.map(({ key, label, min, max }) => (
        <TextField
          key={key}
          name={key}
          label={label}
          type="number"
          min={min}
          max={max}
          value={form[key]}
          onValue={(v) => set({ [key]: v })}
        />
      ))}
    </>
  );
}

function SettingsForm({ project, onSaved }: { project: Project; onSaved: (p: Project) => void }) {
  const [form, setForm] = useState(() => initial(project));
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<typeof form>) => {
    setSaved(false);
    setForm({ ...form, ...patch });
  };
  const save = useAction(async () => {
    const before = initial(project);
    const body: Record<string, string | number | null> = {};
    for (const { key } of TEXT_FIELDS) {
      const value = form[key].trim();
      if (value !== before[key]) body[key] = value === "" && key !== "productionBranch" ? null : value;
    }
    for (const { key } of NUMBER_FIELDS) if (form[key] !== before[key]) body[key] = Number(form[key]);
    if (form.htmlHandling !== before.htmlHandling) body.htmlHandling = form.htmlHandling;
    if (form.notFoundHandling !== before.notFoundHandling) body.notFoundHandling = form.notFoundHandling;
    if (Object.keys(body).length === 0) return setSaved(true);
    const { project: updated } = await api.patch<{ project: Project }>(
      `/projects/${seg(project.name)}`,
      body,
    );
    setForm(initial(updated));
    setSaved(true);
    onSaved(updated);
  });

  return (
    <form
      class="card stack"
      aria-labelledby="build-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <h2 id="build-title">Build and serving</h2>
      <div class="cols">
        {TEXT_FIELDS.map(({ key, label, hint }) => (
          <TextField
            key={key}
            name={key}
            label={label}
            hint={hint}
            value={form[key]}
            onValue={(v) => set({ [key]: v })}
          />
        ))}
        <NumberFields fields={BUILD_NUMBERS} form={form} set={set} />
        <ServingFields form={form} set={set} />
      </div>
      <h3>Retention</h3>
      <p class="hint">
        Older deployments beyond these are deleted, with the files only they use; their URLs then answer 410.
        Production, deployments an alias or a domain points at, and running builds are always kept.
      </p>
      <div class="cols">
        <NumberFields fields={RETENTION_NUMBERS} form={form} set={set} />
      </div>
      <ErrorMessage error={save.error} />
      {saved && !save.busy && (
        <p role="status" class="ok-line">
          Saved. Build settings apply from the next build; retention from the next sweep.
        </p>
      )}
      <BusyButton type="submit" class="primary" busy={save.busy} busyLabel="Saving…">
        Save settings
      </BusyButton>
    </form>
  );
}

/** Build and serving settings, the build cache, the preview password, and deleting the project. */
export function SettingsPage() {
  const { params } = useRoute();
  const project = useProject(params.name ?? "");
  return (
    <ProjectFrame project={project} tab="settings" title="Settings">
      {(p) => (
        <>
          <SettingsForm key={p.id} project={p} onSaved={(u) => project.setData(u)} />
          {p.gitUrl && <ClearBuildCache project={p} onCleared={(u) => project.setData(u)} />}
          <PreviewPassword project={p} onSaved={(u) => project.setData(u)} />
          <DeleteProject project={p} />
        </>
      )}
    </ProjectFrame>
  );
}
